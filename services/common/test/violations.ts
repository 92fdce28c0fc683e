// The fields an INVALID_ARGUMENT names, for tests of validation rules: [] when `run` refused nothing (so an
// expectation of named fields fails), any other error rethrown.
import { InvalidArgumentError } from '../src/errors';

export function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations.map((violation) => violation.field);
    throw error;
  }
  return [];
}
