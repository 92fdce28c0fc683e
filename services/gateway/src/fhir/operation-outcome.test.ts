// Backend errors as OperationOutcomes: the HTTP status from the platform's one gRPC table, each field violation its
// own issue, UNAUTHENTICATED a login issue, and nothing of an internal error's message passed on.
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  toWireStatus,
  UnauthenticatedError,
} from '../../../common/src/errors';
import { validationErrors } from '../../test/fhir-validator';
import { fromServiceError } from './operation-outcome';

function serviceError(error: unknown): ServiceError {
  const wire = toWireStatus(error);
  return Object.assign(new Error(wire.details), { code: wire.code, details: wire.details, metadata: wire.metadata });
}

describe('fromServiceError', () => {
  it('maps each failure to its status and issue type, field violations one issue each', () => {
    const invalid = fromServiceError(
      serviceError(
        new InvalidArgumentError([
          { field: 'patientId', description: 'must be an id (UUID)' },
          { field: 'asOf', description: 'must be a date' },
        ]),
      ),
      'records',
    );
    expect(invalid.httpStatus).toBe(400);
    expect(invalid.outcome.issue).toEqual([
      { severity: 'error', code: 'invalid', diagnostics: 'patientId: must be an id (UUID)' },
      { severity: 'error', code: 'invalid', diagnostics: 'asOf: must be a date' },
    ]);
    const cases: Array<[unknown, number, string]> = [
      [new UnauthenticatedError('not authenticated', 'TOKEN_MISSING'), 401, 'login'],
      [
        new PermissionDeniedError('only clinicians and midwives read patient records', 'ACCESS_DENIED'),
        403,
        'forbidden',
      ],
      [new NotFoundError('patient not found'), 404, 'not-found'],
    ];
    for (const [error, status, code] of cases) {
      const outcome = fromServiceError(serviceError(error), 'identity');
      expect([outcome.httpStatus, outcome.outcome.issue[0]?.code]).toEqual([status, code]);
      expect(validationErrors(outcome.outcome)).toEqual([]);
    }
  });

  it('says only "internal error" for an internal failure, and which service for a transport failure', () => {
    const internal = fromServiceError(
      Object.assign(new Error('13 INTERNAL'), {
        code: 13,
        details: 'duplicate key for 532301199405120026',
        metadata: new Metadata(),
      }),
      'identity',
    );
    expect(internal.httpStatus).toBe(500);
    expect(internal.outcome.issue).toEqual([{ severity: 'error', code: 'exception', diagnostics: 'internal error' }]);
    const unavailable = fromServiceError(
      Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
        code: 14,
        details: 'No connection established',
        metadata: undefined as never,
      }),
      'records',
    );
    expect(unavailable.httpStatus).toBe(503);
    expect(unavailable.outcome.issue[0]).toEqual({
      severity: 'error',
      code: 'transient',
      diagnostics: 'the records service is unavailable; retry later',
    });
  });
});
