import { UnavailableError } from '../errors';
import { isConnectionLost, toDomainError } from './errors';

test("pg-pool's connect timeout (no primary behind the endpoint yet) is a lost connection: UNAVAILABLE, not INTERNAL", () => {
  const error = new Error('timeout exceeded when trying to connect');
  expect(isConnectionLost(error)).toBe(true);
  expect(toDomainError(error)).toBeInstanceOf(UnavailableError);
});

test('a constraint violation is an answer, not a lost connection', () => {
  expect(isConnectionLost(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
});
