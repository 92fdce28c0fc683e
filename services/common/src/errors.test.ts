import { status } from '@grpc/grpc-js';
import {
  AbortedError,
  FailedPreconditionError,
  fieldViolationsOf,
  InvalidArgumentError,
  NotFoundError,
  readStatusDetails,
  retryDelayMsOf,
  toWireStatus,
  UnavailableError,
} from './errors';

describe('toWireStatus', () => {
  it('carries every field violation as a google.rpc.BadRequest detail', () => {
    const wire = toWireStatus(
      new InvalidArgumentError([
        { field: 'near', description: 'must be "lat,lon"' },
        { field: 'pageSize', description: 'must be between 1 and 200' },
      ]),
    );
    expect(wire.code).toBe(status.INVALID_ARGUMENT);
    const details = readStatusDetails(wire.metadata);
    expect(details?.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(details).map((v) => v.field)).toEqual(['near', 'pageSize']);
    expect(wire.details).toContain('near');
  });

  it.each([
    [new NotFoundError('gone'), status.NOT_FOUND],
    [new FailedPreconditionError('slot full', 'SLOT_FULL'), status.FAILED_PRECONDITION],
    [new AbortedError('stale version'), status.ABORTED],
    [new UnavailableError('database unavailable'), status.UNAVAILABLE],
  ])('maps %p to its code with its message', (error, code) => {
    const wire = toWireStatus(error);
    expect(wire.code).toBe(code);
    expect(wire.details).toBe(error.message);
  });

  it('turns an unknown error into INTERNAL without leaking its message', () => {
    const wire = toWireStatus(new Error('relation "identity.secret" does not exist at 10.0.0.3'));
    expect(wire.code).toBe(status.INTERNAL);
    expect(wire.details).toBe('internal error');
    expect(JSON.stringify(readStatusDetails(wire.metadata))).not.toContain('secret');
  });

  it('sends a machine-readable reason with a failed precondition', () => {
    const details = readStatusDetails(toWireStatus(new FailedPreconditionError('slot is full', 'SLOT_FULL')).metadata);
    expect(details?.details.map((d) => d.typeUrl)).toEqual([
      'type.googleapis.com/google.rpc.PreconditionFailure',
      'type.googleapis.com/google.rpc.ErrorInfo',
    ]);
  });
});

test('an UNAVAILABLE that knows how long it lasts carries google.rpc.RetryInfo, read back in milliseconds', () => {
  const held = toWireStatus(new UnavailableError('writes are held', 'NO_SYNCHRONOUS_STANDBY', 2_500));
  expect(held.code).toBe(status.UNAVAILABLE);
  expect(retryDelayMsOf(readStatusDetails(held.metadata))).toBe(2_500);
  expect(retryDelayMsOf(readStatusDetails(toWireStatus(new UnavailableError('database unavailable')).metadata))).toBe(
    undefined,
  );
});
