import { Writable } from 'node:stream';
import { createLogger, scrubIdentifiers } from './logger';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('logs never carry a resident identifier', () => {
  it('redacts identifying keys at any depth', () => {
    const { lines, stream } = capture();
    createLogger('test', 'info', stream).info(
      { patient: { nationalId: '53230119900101002X', name: '李梅', phone: '13812345678' }, institution: 'CX-PREF-MCH' },
      'registered',
    );
    const line = lines.join('');
    expect(line).not.toContain('53230119900101002X');
    expect(line).not.toContain('李梅');
    expect(line).not.toContain('13812345678');
    expect(line).toContain('CX-PREF-MCH');
  });

  it('scrubs resident IDs and mobile numbers out of messages and errors', () => {
    const { lines, stream } = capture();
    const logger = createLogger('test', 'info', stream);
    logger.warn('lookup of 532301199001010021 by 13912345678 failed');
    logger.error({ err: new Error('duplicate key 532301199001010021') }, 'insert failed');
    const text = lines.join('');
    expect(text).not.toMatch(/532301199001010021|13912345678/);
    expect(text).toContain('[resident-id]');
  });

  it('leaves other numbers alone', () => {
    expect(scrubIdentifiers('slot 20260301 capacity 5, request 12345')).toBe('slot 20260301 capacity 5, request 12345');
  });
});
