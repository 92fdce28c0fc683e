import { InvalidArgumentError } from '../../common/src/errors';
import { riskCursorOf } from './dashboard-page';

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations[0]?.field;
    throw error;
  }
  return undefined;
}

describe('the live high-risk stream: where it resumes', () => {
  it('starts from now without a Last-Event-ID, resumes after the header, else the query parameter', () => {
    expect(riskCursorOf(undefined, undefined)).toBe('');
    expect(riskCursorOf('MTIzOjQ1', 'OTk6MQ')).toBe('MTIzOjQ1');
    expect(riskCursorOf(undefined, 'OTk6MQ')).toBe('OTk6MQ');
    expect(riskCursorOf(['MTIzOjQ1'], undefined)).toBe('MTIzOjQ1');
  });

  it('names the field a malformed cursor came in', () => {
    expect(fieldOf(() => riskCursorOf('not a cursor', undefined))).toBe('Last-Event-ID');
    expect(fieldOf(() => riskCursorOf(undefined, 'a/b'))).toBe('lastEventId');
    expect(fieldOf(() => riskCursorOf(undefined, 'x'.repeat(65)))).toBe('lastEventId');
  });
});
