import type { FastifyRequest } from 'fastify';
import { InvalidArgumentError } from '../../common/src/errors';
import { clientTimeoutMsOf } from './forwarding';

const withHeader = (value?: string): FastifyRequest =>
  ({ headers: value === undefined ? {} : { 'grpc-timeout': value } }) as unknown as FastifyRequest;

test("the client's Grpc-Timeout is read in milliseconds, in each of gRPC's units", () => {
  expect(clientTimeoutMsOf(withHeader())).toBeUndefined();
  expect(clientTimeoutMsOf(withHeader('5S'))).toBe(5_000);
  expect(clientTimeoutMsOf(withHeader('1500m'))).toBe(1_500);
  expect(clientTimeoutMsOf(withHeader('2M'))).toBe(120_000);
  expect(clientTimeoutMsOf(withHeader('1H'))).toBe(3_600_000);
  expect(clientTimeoutMsOf(withHeader('250000u'))).toBe(250);
  // A deadline shorter than a millisecond is still one.
  expect(clientTimeoutMsOf(withHeader('10n'))).toBe(1);
});

test('a malformed Grpc-Timeout is bad input naming the header', () => {
  for (const value of ['5', 'S', '5s', '123456789S', '-1S', '1.5S']) {
    let caught: unknown;
    try {
      clientTimeoutMsOf(withHeader(value));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).violations.map((v) => v.field)).toEqual(['Grpc-Timeout']);
  }
});
