// The rules of a thread: what a message may hold, and how its state moves.
import { FailedPreconditionError, InvalidArgumentError } from '../../../common/src/errors';
import {
  checkMessage,
  MAX_ATTACHMENTS,
  MAX_TEXT_CHARS,
  parseSequence,
  statusAfterClose,
  statusAfterJoin,
} from './thread';
import { fieldsOf } from '../../../common/test/violations';

const scan = { objectId: 'ab'.repeat(32), fileName: '超声 20 周.jpg' };
const objectId = (i: number): string => i.toString(16).padStart(64, '0');

describe('a message', () => {
  it('keeps trimmed text and its attachments', () => {
    expect(checkMessage('  血压 150/100，请会诊  ', [{ ...scan, objectId: 'AB'.repeat(32) }])).toEqual({
      text: '血压 150/100，请会诊',
      attachments: [scan],
    });
  });

  it('counts characters, not bytes: 4000 Chinese characters fit, 4001 do not', () => {
    expect(checkMessage('孕'.repeat(MAX_TEXT_CHARS), []).text).toHaveLength(MAX_TEXT_CHARS);
    expect(fieldsOf(() => checkMessage('孕'.repeat(MAX_TEXT_CHARS + 1), []))).toEqual(['text']);
  });

  it('needs text or an attachment', () => {
    expect(fieldsOf(() => checkMessage('   ', []))).toEqual(['text']);
    expect(checkMessage('', [scan]).attachments).toHaveLength(1);
  });

  it('refuses more than ten attachments, and the same object twice', () => {
    const many = Array.from({ length: MAX_ATTACHMENTS + 1 }, (_, i) => ({ ...scan, objectId: objectId(i) }));
    expect(fieldsOf(() => checkMessage('x', many))).toEqual(['attachments']);
    expect(fieldsOf(() => checkMessage('x', [scan, scan]))).toEqual(['attachments']);
  });

  it('names every bad attachment field', () => {
    const bad = { objectId: '../etc', fileName: 'a/b' };
    expect(fieldsOf(() => checkMessage('x', [scan, bad]))).toEqual([
      'attachments[1].objectId',
      'attachments[1].fileName',
    ]);
  });
});

describe('thread states', () => {
  it('moves from requested to in-progress when someone other than the requester joins', () => {
    expect(statusAfterJoin('requested', false)).toBe('in-progress');
    expect(statusAfterJoin('requested', true)).toBe('requested');
    expect(statusAfterJoin('in-progress', false)).toBe('in-progress');
  });

  it('completes an answered thread and cancels an unanswered one', () => {
    expect(statusAfterClose('in-progress')).toBe('completed');
    expect(statusAfterClose('requested')).toBe('cancelled');
  });

  it('takes no joins and no second close once closed', () => {
    for (const closed of ['completed', 'cancelled'] as const) {
      expect(() => statusAfterJoin(closed, false)).toThrow(FailedPreconditionError);
      expect(() => statusAfterClose(closed)).toThrow(FailedPreconditionError);
    }
  });
});

describe('sequence numbers from the wire', () => {
  it('reads int64 strings and refuses negatives and garbage', () => {
    expect(parseSequence('', 'afterSequence')).toBe(0);
    expect(parseSequence('42', 'afterSequence')).toBe(42);
    expect(fieldsOf(() => parseSequence('-1', 'afterSequence'))).toEqual(['afterSequence']);
    expect(fieldsOf(() => parseSequence('x', 'afterSequence'))).toEqual(['afterSequence']);
  });
});
