// The master patient index: register-or-match, look-up, search, the review queue, residents' activation,
// guardianship, and the audit trail of every access.
import { enforce, listAuditEvents, recordAudit, recordAudits } from '../../common/src/audit';
import {
  canAccessPatient,
  canActForPatients,
  canReadAudit,
  canReviewMatches,
  Decision,
  requireAllowed,
} from '../../common/src/auth/policy';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  Violations,
} from '../../common/src/errors';
import { CallContext, firstMetadataValue, METADATA } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { Database, PoolClient } from '../../common/src/pg/database';
import type { ListAuditEventsRequest, ListAuditEventsResponse } from '../../common/src/gen/mch/common/v1/audit';
import {
  ActivateResidentRequest,
  ActivateResidentResponse,
  GetPatientResponse,
  IssueActivationCodeRequest,
  IssueActivationCodeResponse,
  LinkGuardianRequest,
  LinkGuardianResponse,
  ListPatientAuditRequest,
  ListPatientAuditResponse,
  ListPatientMatchesRequest,
  ListPatientMatchesResponse,
  MergePatientMatchRequest,
  MergePatientMatchResponse,
  RegisterPatientRequest,
  RegisterPatientResponse,
  RegistrationOutcome,
  RejectPatientMatchRequest,
  RejectPatientMatchResponse,
  SearchPatientsRequest,
  SearchPatientsResponse,
} from '../../common/src/gen/mch/identity/v1/identity';
import type { AccountsRepository } from './accounts-repository';
import type { AuditFanOut } from './audit-fanout';
import type { AuthService } from './auth-handlers';
import { checkUsername, passwordProblem } from './domain/accounts';
import { isUuid } from './domain/ids';
import { blockingKeys, candidateScore, compareNames, normalizeName } from './domain/name-match';
import {
  ACTIVATION_CODE_TTL_MS,
  checkRegistration,
  newActivationCode,
  normalizeActivationCode,
  RELATIONSHIPS,
} from './domain/patients';
import { parseResidentId } from './domain/resident-id';
import { hashPassword } from './passwords';
import type { PatientRow, PatientsRepository } from './patients-repository';
import type { IdentityRepository } from './repository';
import type { TextMessageSender } from './sms';
import type { LoginThrottle } from './throttle';
import { toAccount, toMatch, toPatient } from './views';

const MAX_PAGE = 100;

function requireId(value: string, field: string): void {
  if (!isUuid(value)) throw InvalidArgumentError.field(field, 'must be an id (UUID)');
}

const refuse = (ctx: CallContext, decision: Decision): void => requireAllowed(ctx.principal, decision);

const pageSizeOf = (pageSize: number, fallback = 20): number => checkPageSize(pageSize, MAX_PAGE, fallback);

export class PatientService {
  constructor(
    private readonly db: Database,
    private readonly patients: PatientsRepository,
    private readonly accounts: AccountsRepository,
    private readonly institutions: IdentityRepository,
    private readonly auth: AuthService,
    private readonly throttle: LoginThrottle,
    private readonly sms: TextMessageSender,
    private readonly auditFanOut: AuditFanOut,
  ) {}

  /** Applies the record-access policy for `patientId` and audits a denial. */
  private async allowPatient(
    ctx: CallContext,
    patientId: string,
    action: string,
    decision = canAccessPatient(ctx.principal, patientId, ctx.purpose),
  ): Promise<void> {
    await enforce(this.db, ctx, decision, patientId, action);
  }

  async register(request: RegisterPatientRequest, ctx: CallContext): Promise<RegisterPatientResponse> {
    refuse(ctx, canActForPatients(ctx.principal));
    const registration = checkRegistration(request, await this.institutions.countyCodes(), new Date());
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      RegisterPatientRequest.encode(request).finish(),
      RegisterPatientResponse,
      async (tx) => {
        const result = await this.patients.insertOrFind(tx, {
          nationalId: registration.residentId?.normalized,
          name: registration.name,
          sex: registration.sex,
          birthDate: registration.birthDate,
          phone: registration.phone,
          countyCode: registration.countyCode,
          address: registration.address,
          newbornLink: registration.newborn?.linkKey,
          newbornSlot: registration.newborn?.birthSlotKey,
          newborn: registration.newborn
            ? {
                motherNationalId: registration.newborn.motherNationalId,
                birthDate: registration.newborn.birthDate,
                birthOrder: registration.newborn.birthOrder,
                birthCertificateNumber: registration.newborn.birthCertificateNumber,
              }
            : null,
          registeredBy: ctx.caller,
          registeredAtInstitution: ctx.principal?.institutionId,
        });
        if ('conflict' in result) {
          throw new AlreadyExistsError(
            'a child of this mother with this birth date and birth order is registered under another birth certificate number',
            'NEWBORN_SLOT_TAKEN',
          );
        }
        const { row, created } = result;
        if (!created) {
          await recordAudit(tx, ctx, { patientId: row.id, action: 'patient.register.matched', outcome: 'allowed' });
          return {
            patient: toPatient(row, ctx.principal),
            outcome: RegistrationOutcome.REGISTRATION_OUTCOME_MATCHED,
            matchIds: [],
          };
        }
        const keys = blockingKeys(row.name, row.birth_date);
        await this.patients.insertBlockingKeys(tx, row.id, keys);
        const matchIds = await this.queueCandidates(tx, row, keys);
        if (registration.newborn) await this.linkMotherIfKnown(tx, row.id, registration.newborn.motherNationalId, ctx);
        await recordAudit(tx, ctx, { patientId: row.id, action: 'patient.register', outcome: 'allowed' });
        const patient = (await this.patients.get(row.id, tx)) as PatientRow;
        return {
          patient: toPatient(patient, ctx.principal),
          outcome:
            matchIds.length > 0
              ? RegistrationOutcome.REGISTRATION_OUTCOME_CREATED_FOR_REVIEW
              : RegistrationOutcome.REGISTRATION_OUTCOME_CREATED,
          matchIds,
        };
      },
    );
  }

  /** Fuzzy candidates sharing a blocking key go to the review queue; nothing is merged here. */
  private async queueCandidates(tx: PoolClient, row: PatientRow, keys: readonly string[]): Promise<string[]> {
    const matchIds: string[] = [];
    for (const candidate of await this.patients.candidatesByKeys(tx, keys, row.id)) {
      // Two different resident IDs are two people, however alike their names.
      if (row.national_id && candidate.national_id && row.national_id !== candidate.national_id) continue;
      const assessment = candidateScore({
        nameA: row.name,
        nameB: candidate.name,
        birthDateA: row.birth_date,
        birthDateB: candidate.birth_date,
        sexA: row.sex === 'unspecified' ? 'unknown' : row.sex,
        sexB: candidate.sex === 'unspecified' ? 'unknown' : candidate.sex,
        phoneA: row.phone || undefined,
        phoneB: candidate.phone || undefined,
      });
      if (assessment.decision !== 'review') continue;
      const id = await this.patients.insertMatch(tx, row.id, candidate.id, assessment.score, assessment.reasons);
      if (id) matchIds.push(id);
    }
    return matchIds;
  }

  private async linkMotherIfKnown(
    tx: PoolClient,
    childId: string,
    motherNationalId: string,
    ctx: CallContext,
  ): Promise<void> {
    const mother = await this.patients.findByNationalId(motherNationalId, tx);
    if (mother) await this.patients.linkGuardian(tx, childId, mother.id, 'mother', ctx.caller);
  }

  async get(request: { id: string }, ctx: CallContext): Promise<GetPatientResponse> {
    requireId(request.id, 'id');
    await this.allowPatient(ctx, request.id, 'patient.read');
    const row = await this.patients.get(request.id);
    if (!row) throw new NotFoundError(`patient ${request.id} not found`);
    if (row.id !== request.id) await this.allowPatient(ctx, row.id, 'patient.read');
    await recordAudit(this.db, ctx, { patientId: row.id, action: 'patient.read', outcome: 'allowed' });
    return { patient: toPatient(row, ctx.principal) };
  }

  async search(request: SearchPatientsRequest, ctx: CallContext): Promise<SearchPatientsResponse> {
    refuse(ctx, canActForPatients(ctx.principal));
    // A missing purpose is a refusal like on every other patient read (403), not bad input.
    refuse(
      ctx,
      ctx.purpose
        ? { allowed: true }
        : { allowed: false, reason: 'staff must state a purpose of use (X-MCH-Purpose) to search patients' },
    );
    const byId = request.nationalId.trim();
    const byName = request.name.trim();
    if ((byId ? 1 : 0) + (byName ? 1 : 0) !== 1) {
      throw new InvalidArgumentError([
        { field: byId ? 'name' : 'nationalId', description: 'give exactly one of nationalId and name' },
      ]);
    }
    const limit = pageSizeOf(request.pageSize);
    const filters = { nationalId: byId, name: byName };
    const offset = decodeOffsetToken(request.pageToken, filters);
    let rows: PatientRow[];
    if (byId) {
      const parsed = parseResidentId(byId, new Date());
      const found = await this.patients.findByNationalId(parsed.normalized);
      rows = found && offset === 0 ? [found] : [];
    } else {
      const normalized = normalizeName(byName);
      if (!normalized) throw InvalidArgumentError.field('name', 'is empty after normalisation');
      const prefixes = blockingKeys(normalized, '2000-01-01')
        .filter((key) => key.startsWith('name:'))
        .map((key) => key.slice(0, key.lastIndexOf(':') + 1));
      const found = await this.patients.searchByKeyPrefix(this.db.rw, [...new Set(prefixes)], 500);
      rows = found
        .map((row) => ({ row, score: compareNames(normalized, row.name).score }))
        .filter((entry) => entry.score >= 0.5)
        .sort((a, b) => b.score - a.score || a.row.name.localeCompare(b.row.name))
        .map((entry) => entry.row)
        .slice(offset, offset + limit + 1);
    }
    await recordAudits(
      this.db,
      ctx,
      rows.slice(0, limit).map((row) => ({ patientId: row.id, action: 'patient.search', outcome: 'allowed' as const })),
    );
    return {
      patients: rows.slice(0, limit).map((row) => toPatient(row, ctx.principal)),
      nextPageToken: nextOffsetToken(filters, offset, limit, rows.length),
    };
  }

  async listAudit(request: ListPatientAuditRequest, ctx: CallContext): Promise<ListPatientAuditResponse> {
    requireId(request.patientId, 'patientId');
    await this.allowPatient(ctx, request.patientId, 'audit.read', canReadAudit(ctx.principal, request.patientId));
    const limit = pageSizeOf(request.pageSize, 50);
    let before: Date | undefined;
    if (request.pageToken) {
      before = new Date(Buffer.from(request.pageToken, 'base64url').toString());
      if (Number.isNaN(before.getTime()))
        throw InvalidArgumentError.field('pageToken', 'is not a token this API issued');
    }
    const [own, others] = await Promise.all([
      listAuditEvents(this.db, 'identity', request.patientId, before, limit + 1),
      this.auditFanOut.gather(ctx, { patientId: request.patientId, pageSize: limit + 1, before }),
    ]);
    await recordAudit(this.db, ctx, { patientId: request.patientId, action: 'audit.read', outcome: 'allowed' });
    const events = [...own, ...others.events].sort(
      (a, b) => (b.occurredAt?.getTime() ?? 0) - (a.occurredAt?.getTime() ?? 0),
    );
    const page = events.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page,
      nextPageToken:
        events.length > limit && last?.occurredAt
          ? Buffer.from(last.occurredAt.toISOString()).toString('base64url')
          : '',
      unavailableServices: others.unavailable,
    };
  }

  async listAuditEvents(request: ListAuditEventsRequest, ctx: CallContext): Promise<ListAuditEventsResponse> {
    requireId(request.patientId, 'patientId');
    await this.allowPatient(ctx, request.patientId, 'audit.read', canReadAudit(ctx.principal, request.patientId));
    return {
      events: await listAuditEvents(
        this.db,
        'identity',
        request.patientId,
        request.before,
        pageSizeOf(request.pageSize, 50),
      ),
    };
  }

  async listMatches(request: ListPatientMatchesRequest, ctx: CallContext): Promise<ListPatientMatchesResponse> {
    refuse(ctx, canReviewMatches(ctx.principal));
    const status = request.status || 'open';
    if (!['open', 'merged', 'rejected'].includes(status))
      throw InvalidArgumentError.field('status', 'must be open, merged or rejected');
    const limit = pageSizeOf(request.pageSize);
    const offset = decodeOffsetToken(request.pageToken, { status });
    const rows = await this.patients.listMatches(status, limit + 1, offset);
    const matches = [];
    for (const row of rows.slice(0, limit)) {
      const [patient, candidate] = await Promise.all([
        this.patients.get(row.patient_id),
        this.patients.get(row.candidate_id),
      ]);
      await recordAudits(
        this.db,
        ctx,
        [row.patient_id, row.candidate_id].map((id) => ({
          patientId: id,
          action: 'patient.match.read',
          outcome: 'allowed' as const,
        })),
      );
      matches.push(toMatch(row, patient, candidate, ctx.principal));
    }
    return { matches, nextPageToken: nextOffsetToken({ status }, offset, limit, rows.length) };
  }

  private async decide(
    id: string,
    ctx: CallContext,
    reason: string,
    apply: (
      tx: PoolClient,
      match: NonNullable<Awaited<ReturnType<PatientsRepository['lockMatch']>>>,
    ) => Promise<'merged' | 'rejected'>,
  ): Promise<MergePatientMatchResponse> {
    refuse(ctx, canReviewMatches(ctx.principal));
    requireId(id, 'id');
    if (reason.trim().length < 3) throw InvalidArgumentError.field('reason', 'state the reason for the decision');
    return this.db.withTransaction(async (tx) => {
      const match = await this.patients.lockMatch(tx, id);
      if (!match) throw new NotFoundError(`patient match ${id} not found`);
      if (match.status !== 'open')
        throw new FailedPreconditionError(`patient match is already ${match.status}`, 'MATCH_DECIDED');
      const status = await apply(tx, match);
      const decided = await this.patients.decideMatch(tx, id, status, ctx.caller, reason.trim());
      for (const patientId of [match.patient_id, match.candidate_id]) {
        await recordAudit(tx, ctx, {
          patientId,
          action: `patient.match.${status}`,
          outcome: 'allowed',
          reason: reason.trim(),
        });
      }
      return {
        match: toMatch(
          decided,
          await this.patients.get(decided.patient_id, tx),
          await this.patients.get(decided.candidate_id, tx),
          ctx.principal,
        ),
      };
    });
  }

  async merge(request: MergePatientMatchRequest, ctx: CallContext): Promise<MergePatientMatchResponse> {
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      MergePatientMatchRequest.encode(request).finish(),
      MergePatientMatchResponse,
      () =>
        this.decide(request.id, ctx, request.reason, async (tx, match) => {
          if (request.survivorId !== match.patient_id && request.survivorId !== match.candidate_id) {
            throw InvalidArgumentError.field('survivorId', 'must be one of the two patients of the match');
          }
          const duplicate = request.survivorId === match.patient_id ? match.candidate_id : match.patient_id;
          await this.patients.merge(tx, request.survivorId, duplicate);
          return 'merged';
        }),
    );
  }

  async reject(request: RejectPatientMatchRequest, ctx: CallContext): Promise<RejectPatientMatchResponse> {
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      RejectPatientMatchRequest.encode(request).finish(),
      RejectPatientMatchResponse,
      () => this.decide(request.id, ctx, request.reason, async () => 'rejected'),
    );
  }

  async issueActivationCode(
    request: IssueActivationCodeRequest,
    ctx: CallContext,
  ): Promise<IssueActivationCodeResponse> {
    refuse(ctx, canActForPatients(ctx.principal));
    requireId(request.patientId, 'patientId');
    const delivery = request.delivery || 'handover';
    if (delivery !== 'handover' && delivery !== 'sms')
      throw InvalidArgumentError.field('delivery', 'must be handover or sms');
    const patient = await this.patients.get(request.patientId);
    if (!patient) throw new NotFoundError(`patient ${request.patientId} not found`);
    if (delivery === 'sms' && !patient.phone)
      throw new FailedPreconditionError('the patient has no phone number on record', 'NO_PHONE');
    const code = newActivationCode();
    const expiresAt = new Date(Date.now() + ACTIVATION_CODE_TTL_MS);
    await this.db.withTransaction(async (tx) => {
      await this.accounts.insertActivationCode(tx, code, patient.id, ctx.caller, delivery, expiresAt);
      await recordAudit(tx, ctx, {
        patientId: patient.id,
        action: 'patient.activation-code',
        outcome: 'allowed',
        reason: delivery,
      });
    });
    if (delivery === 'sms')
      await this.sms.send(
        patient.phone,
        `母子健康手册激活码 ${code}（72小时内有效）。MCH handbook activation code ${code}, valid 72 h.`,
      );
    return { code: delivery === 'handover' ? code : '', expiresAt, delivery };
  }

  async activate(request: ActivateResidentRequest, ctx: CallContext): Promise<ActivateResidentResponse> {
    const code = normalizeActivationCode(request.code);
    const violations = new Violations();
    if (!/^[A-Z2-9]{10}$/.test(code)) violations.add('code', 'must be the 10-character activation code');
    const username = violations.check(() => checkUsername(request.username)) ?? '';
    const problem = passwordProblem(request.password);
    if (problem) violations.add('password', problem);
    violations.throwIfAny();
    const address = firstMetadataValue(ctx.metadata, METADATA.clientAddress) ?? 'unknown';
    await this.throttle.check('activation', address);
    const passwordHash = await hashPassword(request.password);
    const outcome = await this.db.withTransaction(async (tx) => {
      const patientId = await this.accounts.consumeActivationCode(tx, code);
      if (!patientId) return undefined;
      const patient = (await this.patients.get(patientId, tx)) as PatientRow;
      const account = await this.accounts.insertAccount(tx, {
        username,
        displayName: patient.name,
        kind: 'resident',
        passwordHash,
        roles: [],
        patientId: patient.id,
        createdBy: 'activation',
      });
      await recordAudit(
        tx,
        { ...ctx, principal: undefined, caller: account.id },
        { patientId: patient.id, action: 'resident.activate', outcome: 'allowed' },
      );
      return { account: account, tokens: await this.auth.issueTokens(tx, account) };
    });
    if (!outcome) {
      await this.throttle.fail('activation', address);
      throw new FailedPreconditionError(
        'the activation code is unknown, used or expired; ask your institution for a new one',
        'ACTIVATION_CODE_INVALID',
      );
    }
    return { account: toAccount(outcome.account), tokens: outcome.tokens };
  }

  async linkGuardian(request: LinkGuardianRequest, ctx: CallContext): Promise<LinkGuardianResponse> {
    refuse(ctx, canActForPatients(ctx.principal));
    requireId(request.patientId, 'patientId');
    requireId(request.guardianPatientId, 'guardianPatientId');
    if (!(RELATIONSHIPS as readonly string[]).includes(request.relationship))
      throw InvalidArgumentError.field('relationship', `must be one of ${RELATIONSHIPS.join(', ')}`);
    if (request.patientId === request.guardianPatientId)
      throw InvalidArgumentError.field('guardianPatientId', 'a patient cannot be her own guardian');
    await this.allowPatient(ctx, request.patientId, 'patient.guardian-link');
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      LinkGuardianRequest.encode(request).finish(),
      LinkGuardianResponse,
      async (tx) => {
        const [child, guardian] = [
          await this.patients.get(request.patientId, tx),
          await this.patients.get(request.guardianPatientId, tx),
        ];
        if (!child) throw new NotFoundError(`patient ${request.patientId} not found`);
        if (!guardian) throw new NotFoundError(`guardian patient ${request.guardianPatientId} not found`);
        await this.patients.linkGuardian(tx, child.id, guardian.id, request.relationship, ctx.caller);
        await recordAudit(tx, ctx, {
          patientId: child.id,
          action: 'patient.guardian-link',
          outcome: 'allowed',
          reason: request.relationship,
        });
        return { patient: toPatient((await this.patients.get(child.id, tx)) as PatientRow, ctx.principal) };
      },
    );
  }
}
