import { status } from '@grpc/grpc-js';
import { grpcCodeName, httpStatusForGrpcCode } from './status-codes';

describe('the gRPC -> HTTP table', () => {
  it.each([
    [status.OK, 200],
    [status.INVALID_ARGUMENT, 400],
    [status.OUT_OF_RANGE, 400],
    [status.UNAUTHENTICATED, 401],
    [status.PERMISSION_DENIED, 403],
    [status.NOT_FOUND, 404],
    [status.ALREADY_EXISTS, 409],
    [status.FAILED_PRECONDITION, 409],
    [status.ABORTED, 409],
    [status.RESOURCE_EXHAUSTED, 429],
    [status.CANCELLED, 499],
    [status.UNIMPLEMENTED, 501],
    [status.UNAVAILABLE, 503],
    [status.DEADLINE_EXCEEDED, 504],
    [status.INTERNAL, 500],
    [status.UNKNOWN, 500],
    [status.DATA_LOSS, 500],
  ])('gRPC %i is HTTP %i', (code, http) => {
    expect(httpStatusForGrpcCode(code)).toBe(http);
  });

  it('answers 500 for a code outside the table', () => {
    expect(httpStatusForGrpcCode(99)).toBe(500);
  });

  it('names codes canonically', () => {
    expect(grpcCodeName(status.FAILED_PRECONDITION)).toBe('FAILED_PRECONDITION');
  });
});
