// Every FHIR error is an OperationOutcome: bad parameters (400), no or a bad token (401), refused (403), not found
// (404), unsupported format (406), a backend's answer mapped through the platform's one gRPC-to-HTTP table.
import type { ServiceError } from '@grpc/grpc-js';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { readStatusDetails } from '../../../common/src/errors';
import { BadRequest } from '../../../common/src/gen/google/rpc/error_details';
import { httpStatusForGrpcCode } from '../../../common/src/status-codes';

export type IssueCode = OperationOutcomeIssue['code'];

export class FhirError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue[0]?.diagnostics ?? 'FHIR error');
  }

  static of(httpStatus: number, code: IssueCode, diagnostics: string, expression?: string): FhirError {
    return new FhirError(
      httpStatus,
      operationOutcome([{ severity: 'error', code, diagnostics, ...(expression ? { expression: [expression] } : {}) }]),
    );
  }

  /** A bad search or read parameter, named in `expression` (FHIR's own name for it). */
  static badParameter(name: string, description: string): FhirError {
    return FhirError.of(400, 'invalid', `${name}: ${description}`, name);
  }
}

export function operationOutcome(issue: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue };
}

const ISSUE_BY_GRPC_CODE: Readonly<Record<number, IssueCode>> = {
  3: 'invalid',
  4: 'timeout',
  5: 'not-found',
  6: 'duplicate',
  7: 'forbidden',
  8: 'throttled',
  9: 'conflict',
  10: 'conflict',
  11: 'invalid',
  12: 'not-supported',
  14: 'transient',
  16: 'login',
};

/** The OperationOutcome for an answer in the gateway's google.rpc.Status shape (shed, rate limited, slow body). */
export function outcomeOfStatus(code: number, message: string): OperationOutcome {
  return operationOutcome([{ severity: 'error', code: ISSUE_BY_GRPC_CODE[code] ?? 'exception', diagnostics: message }]);
}

/** The OperationOutcome of a failed backend call. Messages of INTERNAL/UNKNOWN are never passed on. */
export function fromServiceError(error: ServiceError, backend: string): FhirError {
  const code: number = typeof error.code === 'number' ? Number(error.code) : 2;
  const opaque = code === 13 || code === 2 || code === 15;
  const status = readStatusDetails(error.metadata);
  const transport =
    code === 14
      ? `the ${backend} service is unavailable; retry later`
      : code === 4
        ? `the ${backend} service did not answer in time; retry later`
        : undefined;
  const message = opaque ? 'internal error' : (status?.message ?? transport ?? error.details ?? 'error');
  const issues: OperationOutcomeIssue[] = [];
  for (const detail of opaque ? [] : (status?.details ?? [])) {
    if (!detail.typeUrl.endsWith('google.rpc.BadRequest')) continue;
    for (const violation of BadRequest.decode(detail.value).fieldViolations) {
      issues.push({ severity: 'error', code: 'invalid', diagnostics: `${violation.field}: ${violation.description}` });
    }
  }
  if (issues.length === 0)
    issues.push({ severity: 'error', code: ISSUE_BY_GRPC_CODE[code] ?? 'exception', diagnostics: message });
  return new FhirError(httpStatusForGrpcCode(code), operationOutcome(issues));
}
