// ImportPatients: the data generator's bulk registration. Each item is validated as RegisterPatient validates it
// (resident ID with its check digit, sex and birth date agreeing with it, county, phone); the batch is registered
// in one transaction: an ID already in the index is matched, a new one gets its blocking keys (so later fuzzy
// registrations find it), mothers are linked as guardians, and every patient touched gets an audit event.
// Unlike the single path it queues no fuzzy candidates for review: a bulk load is not a human registration.
import { randomUUID } from 'node:crypto';
import { AuditEntry, recordAudits } from '../../common/src/audit';
import { admitBatch, runBulkImport } from '../../common/src/bulk-import';
import { InvalidArgumentError, Violations, withFieldPrefix } from '../../common/src/errors';
import {
  ImportPatientsRequest,
  ImportPatientsResponse,
  RegisterPatientRequest,
} from '../../common/src/gen/mch/identity/v1/identity';
import type { CallContext } from '../../common/src/grpc/context';
import type { Database } from '../../common/src/pg/database';
import { isUuid } from './domain/ids';
import { blockingKeys } from './domain/name-match';
import { checkRegistration } from './domain/patients';
import { parseResidentId } from './domain/resident-id';
import type { ImportedPatientRow, PatientImportRepository } from './patients-repository';
import type { IdentityRepository } from './repository';

export const MAX_IMPORTED_PATIENTS = 5_000;

export class PatientImport {
  constructor(
    private readonly db: Database,
    private readonly repository: PatientImportRepository,
    private readonly institutions: IdentityRepository,
  ) {}

  async importPatients(request: ImportPatientsRequest, ctx: CallContext): Promise<ImportPatientsResponse> {
    admitBatch(ctx, 'patients', request.patients.length, MAX_IMPORTED_PATIENTS);
    const counties = await this.institutions.countyCodes();
    const today = new Date();
    const institutionIds = [...new Set(request.patients.map((item) => item.registeredAtInstitutionId).filter(isUuid))];
    const knownInstitutions = await this.repository.knownInstitutions(institutionIds);
    const violations = new Violations();
    const rows: ImportedPatientRow[] = [];
    const mothers: Array<{ child: string; mother: string; index: number }> = [];
    for (const [index, item] of request.patients.entries()) {
      const at = `patients[${index}].`;
      const checked = violations.check(() =>
        withFieldPrefix(at, () => {
          if (!item.nationalId.trim()) throw InvalidArgumentError.field('nationalId', 'is required in a bulk import');
          const registration = checkRegistration(
            RegisterPatientRequest.fromPartial({ ...item, newborn: undefined }),
            counties,
            today,
          );
          const institution = item.registeredAtInstitutionId.toLowerCase();
          if (institution && !knownInstitutions.has(institution))
            throw InvalidArgumentError.field('registeredAtInstitutionId', 'is not a member institution');
          const mother = item.motherNationalId.trim()
            ? parseResidentId(item.motherNationalId, today, 'motherNationalId').normalized
            : undefined;
          return { registration, institution, mother };
        }),
      );
      if (!checked) continue;
      const { registration, institution, mother } = checked;
      const nationalId = registration.residentId?.normalized as string;
      if (mother) mothers.push({ child: nationalId, mother, index });
      rows.push({
        id: randomUUID(),
        nationalId,
        name: registration.name,
        sex: registration.sex,
        birthDate: registration.birthDate,
        phone: registration.phone,
        countyCode: registration.countyCode,
        address: registration.address,
        registeredAtInstitution: institution || null,
      });
      // The first bad items are enough to name: a batch with thousands of errors is one mistake repeated.
      if (violations.count() >= 20) break;
    }
    violations.throwIfAny();
    const unique = new Set(rows.map((row) => row.nationalId));
    if (unique.size !== rows.length) throw InvalidArgumentError.field('patients', 'holds one resident ID twice');

    return runBulkImport(
      this.db,
      ctx,
      ImportPatientsRequest.encode(request).finish(),
      ImportPatientsResponse,
      async (tx) => {
        const { created, idByNationalId } = await this.repository.insertPatients(tx, rows, ctx.caller);
        const keys: Array<[string, string]> = [];
        for (const row of rows) {
          if (created.has(row.id)) for (const key of blockingKeys(row.name, row.birthDate)) keys.push([row.id, key]);
        }
        await this.repository.insertBlockingKeys(tx, keys);
        const outsideBatch = mothers.map((link) => link.mother).filter((id) => !idByNationalId.has(id));
        const motherIds =
          outsideBatch.length > 0
            ? new Map([...idByNationalId, ...(await this.repository.idsByNationalId(tx, outsideBatch))])
            : idByNationalId;
        const links: Array<[string, string]> = [];
        for (const link of mothers) {
          const mother = motherIds.get(link.mother);
          if (!mother)
            throw InvalidArgumentError.field(
              `patients[${link.index}].motherNationalId`,
              'names nobody in this batch or the index',
            );
          links.push([idByNationalId.get(link.child) as string, mother]);
        }
        const guardianLinks = await this.repository.linkMothers(tx, links, ctx.caller);
        const patientIds = rows.map((row) => idByNationalId.get(row.nationalId) as string);
        const audits: AuditEntry[] = rows.map((row, index) => ({
          patientId: patientIds[index] as string,
          action: created.has(row.id) ? 'patient.register' : 'patient.register.matched',
          outcome: 'allowed',
          reason: 'bulk import',
        }));
        await recordAudits(tx, ctx, audits);
        return { patientIds, created: created.size, matched: rows.length - created.size, guardianLinks };
      },
    );
  }
}
