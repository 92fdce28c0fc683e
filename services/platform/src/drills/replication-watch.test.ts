import { isExposed, isSynchronous, primaryOf, type ReplicationSample } from './replication-watch';

const primary = (ssn: string, syncStreaming: number) => ({
  recovery: false,
  synchronousStandbyNames: ssn,
  syncStreaming,
});
const standby = { recovery: true, synchronousStandbyNames: '', syncStreaming: 0 };

describe('replication samples', () => {
  it('a primary whose commits wait for a streaming synchronous standby is synchronous, not exposed', () => {
    const sample: ReplicationSample = { at: 0, zones: { 'az-a': primary('"az-b"', 1), 'az-b': standby } };
    expect(primaryOf(sample)?.zone).toBe('az-a');
    expect([isSynchronous(sample), isExposed(sample)]).toEqual([true, false]);
  });
  it('a primary that waits for a standby not streaming stalls writes: neither synchronous nor exposed', () => {
    const sample: ReplicationSample = { at: 0, zones: { 'az-a': primary('"az-b"', 0) } };
    expect([isSynchronous(sample), isExposed(sample)]).toEqual([false, false]);
  });
  it('a primary with empty synchronous_standby_names is exposed (writes on one zone only)', () => {
    const sample: ReplicationSample = { at: 0, zones: { 'az-b': primary('', 0) } };
    expect([isSynchronous(sample), isExposed(sample)]).toEqual([false, true]);
  });
  it('no zone answering, or two answering as primary, names no primary', () => {
    expect(primaryOf({ at: 0, zones: {} })).toBeUndefined();
    expect(primaryOf({ at: 0, zones: { 'az-a': primary('', 0), 'az-b': primary('', 0) } })).toBeUndefined();
  });
});
