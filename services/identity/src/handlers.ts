// Identity's gRPC handlers: request -> domain rules -> repository/cache -> response.
import { InvalidArgumentError, NotFoundError } from '../../common/src/errors';
import type { UnaryHandlers } from '../../common/src/grpc/adapter';
import type { Cache } from '../../common/src/cache';
import {
  GetInstitutionResponse,
  IdentityServiceService,
  ListInstitutionsResponse,
} from '../../common/src/gen/mch/identity/v1/identity';
import { isUuid } from './domain/ids';
import { encodePageToken, parseListInstitutions, queryCacheKey } from './domain/institutions';
import type { AuthService } from './auth-handlers';
import type { PatientService } from './patient-handlers';
import type { PatientImport } from './patient-import';
import type { IdentityRepository } from './repository';
import type { StaffService } from './staff-handlers';

export interface IdentityServices {
  readonly auth: AuthService;
  readonly staff: StaffService;
  readonly patients: PatientService;
  readonly imports: PatientImport;
}

export function identityHandlers(
  repository: IdentityRepository,
  cache: Cache,
  services: IdentityServices,
): UnaryHandlers<typeof IdentityServiceService> {
  const { auth, staff, patients, imports } = services;
  return {
    login: (request, ctx) => auth.login(request, ctx),
    refresh: (request) => auth.refresh(request),
    logout: (request) => auth.logout(request),
    getMe: (_request, ctx) => auth.me(ctx),
    getJwks: () => auth.jwks(),
    issueServiceToken: (request, ctx) => auth.issueServiceToken(request, ctx),
    createStaff: (request, ctx) => staff.create(request, ctx),
    listStaff: (request, ctx) => staff.list(request, ctx),
    deactivateStaff: (request, ctx) => staff.deactivate(request, ctx),
    registerPatient: (request, ctx) => patients.register(request, ctx),
    getPatient: (request, ctx) => patients.get(request, ctx),
    searchPatients: (request, ctx) => patients.search(request, ctx),
    listPatientAudit: (request, ctx) => patients.listAudit(request, ctx),
    listAuditEvents: (request, ctx) => patients.listAuditEvents(request, ctx),
    listPatientMatches: (request, ctx) => patients.listMatches(request, ctx),
    mergePatientMatch: (request, ctx) => patients.merge(request, ctx),
    rejectPatientMatch: (request, ctx) => patients.reject(request, ctx),
    issueActivationCode: (request, ctx) => patients.issueActivationCode(request, ctx),
    activateResident: (request, ctx) => patients.activate(request, ctx),
    linkGuardian: (request, ctx) => patients.linkGuardian(request, ctx),
    importPatients: (request, ctx) => imports.importPatients(request, ctx),

    async listInstitutions(request) {
      const query = parseListInstitutions(request, await repository.countyCodes());
      const { value } = await cache.getOrLoad(
        cache.key('institutions', queryCacheKey(query)),
        ListInstitutionsResponse,
        async () => {
          const { institutions, total } = await repository.listInstitutions(query);
          const nextOffset = query.offset + institutions.length;
          return {
            institutions,
            totalSize: total,
            nextPageToken: nextOffset < total && institutions.length > 0 ? encodePageToken(query, nextOffset) : '',
          };
        },
        60,
      );
      return value;
    },

    async getInstitution(request) {
      if (!isUuid(request.id)) throw InvalidArgumentError.field('id', 'must be an institution id (UUID)');
      const { value } = await cache.getOrLoad(
        cache.key('institution', request.id),
        GetInstitutionResponse,
        async () => {
          const institution = await repository.getInstitution(request.id.toLowerCase());
          if (!institution) throw new NotFoundError(`institution ${request.id} not found`);
          return { institution };
        },
      );
      return value;
    },
  };
}
