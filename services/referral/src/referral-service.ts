// Referrals as the clinicians use them: where to refer her, the request, every transition under the referral's
// row lock and the caller's idempotency key, acceptance with a record snapshot and a booking, redirection and
// down-referral as one step each, worklists. Every read and write of a patient's referral is audited.
import { enforce, recordAudit, recordAudits } from '../../common/src/audit';
import {
  canReadReferral,
  canReadReferralWorklist,
  canReferPatient,
  Decision,
  referralSide,
} from '../../common/src/auth/policy';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
  UnavailableError,
  Violations,
} from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { requireId } from '../../common/src/ids';
import { previousAnswer, ResponseCodec, runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import type { Logger } from '../../common/src/logger';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { Database, PoolClient } from '../../common/src/pg/database';
import {
  AcceptReferralRequest,
  AcceptReferralResponse,
  CancelReferralRequest,
  CompleteReferralRequest,
  CreateReferralRequest,
  CreateReferralResponse,
  DismissSuggestionRequest,
  DismissSuggestionResponse,
  FailReferralRequest,
  GetReferralRequest,
  GetReferralResponse,
  HoldReferralRequest,
  ListInstitutionReferralsRequest,
  ListInstitutionReferralsResponse,
  ListPendingSuggestionsRequest,
  ListPendingSuggestionsResponse,
  ReceiveReferralRequest,
  RedirectReferralRequest,
  RedirectReferralResponse,
  ReferBackRequest,
  ReferBackResponse,
  Referral,
  ReferralUrgency,
  RejectReferralRequest,
  ResumeReferralRequest,
  StartReferralRequest,
  SuggestReferralTargetsRequest,
  SuggestReferralTargetsResponse,
  UpdateBusinessStatusRequest,
} from '../../common/src/gen/mch/referral/v1/referral';
import type { PatientRecord } from '../../common/src/gen/mch/records/v1/records';
import { ServiceType, serviceTypeToJSON } from '../../common/src/gen/mch/scheduling/v1/scheduling';
import { Metadata } from '@grpc/grpc-js';
import {
  AppointmentBooker,
  BookingOrder,
  BookingRefusedError,
  CallAuth,
  ConsultationOpener,
  IdentityDirectory,
  RecordsReader,
} from './clients';
import { acceptanceDeadline, AcceptanceWindows, Urgency } from './domain/deadlines';
import { CandidateInstitution, LEVELS, rankTargets, requirementFor, RoutingRules } from './domain/routing';
import {
  decideTransition,
  OPEN_STATES,
  REFERRAL_STATES,
  ReferralAction,
  ReferralDirectionName,
  ReferralState,
  sideAllowed,
  TransitionFacts,
} from './domain/workflow';
import type { BookingRow, NewReferral, ReferralRepository, ReferralRow, SnapshotJson } from './repository';
import type { TextSensitivity } from '../../common/src/sensitive-text';
import {
  classifyWriteText,
  recordCarriesSensitiveFact,
  referralTextAccess,
  suggestionTextAccess,
  textAuditReason,
} from './text-sensitivity';
import { DIRECTION_OF, nameOf, toReferral, toSuggestion, URGENCY_OF } from './views';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MAX_TEXT = 2_000;
/** How far ahead an acceptance may book. */
const MAX_BOOKING_AHEAD_MS = 366 * 86_400_000;

function text(
  violations: Violations,
  value: string,
  field: string,
  options: { required?: boolean; max?: number } = {},
): string {
  const trimmed = value.trim();
  if (options.required && trimmed.length === 0) violations.add(field, 'is required');
  if (trimmed.length > (options.max ?? MAX_TEXT))
    violations.add(field, `must be at most ${options.max ?? MAX_TEXT} characters`);
  return trimmed;
}

/** The idempotency key scheduling sees for a referral's booking: one per referral, so it books once. */
export function bookingKey(referralId: string): string {
  return `referral-booking-${referralId}`;
}

/** Her current pregnancy picture from her record: the active pregnancy, else none. */
function currentPregnancy(record: PatientRecord): PatientRecord['pregnancies'][number] | undefined {
  return record.pregnancies.find((pregnancy) => pregnancy.status === 'active');
}

function snapshotOf(record: PatientRecord | undefined): SnapshotJson {
  const pregnancy = record ? currentPregnancy(record) : undefined;
  const visits = pregnancy?.visits ?? [];
  const last = [...visits].sort((a, b) => a.visitDate.localeCompare(b.visitDate)).at(-1);
  const ga = pregnancy?.gestationalAgeToday;
  return {
    takenAt: new Date().toISOString(),
    recordVersion: record?.version ?? 0,
    pregnancyId: pregnancy?.id ?? '',
    riskColour: pregnancy?.risk?.colour ?? '',
    besideColours: [...(pregnancy?.risk?.besideColours ?? [])],
    screenPositive: pregnancy?.risk?.screenPositive ?? false,
    screenReasons: [...(pregnancy?.risk?.screenReasons ?? [])],
    edd: pregnancy?.edd ?? '',
    gestationalAge: ga ? `${ga.weeks}+${ga.days}` : '',
    findings: [...(pregnancy?.findings ?? [])],
    lastVisitDate: last?.visitDate ?? '',
    lastSystolicBp: last?.systolicBp ?? 0,
    lastDiastolicBp: last?.diastolicBp ?? 0,
    visitCount: visits.length,
    sensitiveWithheld: record?.sensitiveWithheld ?? false,
    unavailable: record === undefined,
  };
}

interface ActionRequest {
  readonly referralId: string;
  /** The author states the action's free text names no sensitive condition. */
  readonly textNotSensitive?: boolean;
}

export interface ReferralServiceOptions {
  readonly db: Database;
  readonly repository: ReferralRepository;
  readonly directory: IdentityDirectory;
  readonly records: RecordsReader;
  readonly booker: AppointmentBooker;
  readonly consultations: ConsultationOpener;
  readonly rules: RoutingRules;
  readonly windows: AcceptanceWindows;
  readonly logger: Logger;
  /** Delay before the worker retries a booking scheduling could not take at acceptance. */
  readonly bookingRetryMs: number;
  /**
   * The service's own credentials for scheduling. Every attempt at a booking, at acceptance and by the worker, is
   * made as the service, so that scheduling scopes the booking's idempotency key to one caller and books once.
   */
  readonly serviceAuth: ServiceAuth | undefined;
}

/** Metadata that makes a call as the referral service itself, for purpose `referral`. */
export type ServiceAuth = () => Promise<Metadata>;

export class ReferralService {
  constructor(private readonly options: ReferralServiceOptions) {}

  private get db(): Database {
    return this.options.db;
  }

  private get repository(): ReferralRepository {
    return this.options.repository;
  }

  // Reads

  async suggest(request: SuggestReferralTargetsRequest, ctx: CallContext): Promise<SuggestReferralTargetsResponse> {
    const violations = new Violations();
    const patientId = violations.check(() => requireId(request.patientId, 'patientId'));
    const fromId = request.fromInstitutionId
      ? violations.check(() => requireId(request.fromInstitutionId, 'fromInstitutionId'))
      : undefined;
    const limit = request.maxResults || 3;
    if (!Number.isInteger(request.maxResults) || request.maxResults < 0 || request.maxResults > 20)
      violations.add('maxResults', 'must be between 1 and 20');
    const capabilities = request.capabilities.map((capability) => capability.trim()).filter(Boolean);
    capabilities.forEach((capability, index) => {
      if (!/^[a-z][a-z_]{1,40}$/.test(capability))
        violations.add(`capabilities[${index}]`, 'must be a capability name, e.g. nicu');
    });
    violations.throwIfAny();
    await enforce(
      this.db,
      ctx,
      canReferPatient(ctx.principal, patientId as string, ctx.purpose),
      patientId as string,
      'referral.suggest',
    );
    const [record, institutions] = await Promise.all([
      this.options.records.record(patientId as string, { parent: ctx }),
      this.options.directory.institutions(),
    ]);
    const pregnancy = currentPregnancy(record);
    const risk = {
      colour: pregnancy?.risk?.colour ?? '',
      besideColours: pregnancy?.risk?.besideColours ?? [],
      screenPositive: pregnancy?.risk?.screenPositive ?? false,
    };
    const requirement = requirementFor(this.options.rules, risk, capabilities);
    const originId = fromId ?? ctx.principal?.institutionId ?? pregnancy?.registeredAtInstitutionId ?? '';
    const origin = institutions.find((institution) => institution.id === originId);
    if (!origin)
      throw InvalidArgumentError.field(
        'fromInstitutionId',
        originId ? `no member institution ${originId}` : 'name the institution she is at',
      );
    const riskLabel = risk.colour || (risk.screenPositive ? 'a positive screen' : 'an ungraded pregnancy');
    const ranking = rankTargets(
      institutions,
      { institutionId: origin.id, place: origin.location },
      requirement,
      riskLabel,
      limit,
    );
    await recordAudit(this.db, ctx, {
      patientId: patientId as string,
      action: 'referral.suggest',
      outcome: 'allowed',
    });
    const view = (
      institution: CandidateInstitution,
    ): { institutionId: string; code: string; name: string; level: string } => ({
      institutionId: institution.id,
      code: institution.code,
      name: institution.name,
      level: institution.level,
    });
    return {
      patientId: patientId as string,
      pregnancyId: pregnancy?.id ?? '',
      riskColour: risk.colour,
      screenPositive: risk.screenPositive,
      requiredLevel: requirement.minLevel,
      requiredCapabilities: [...requirement.capabilities],
      fromInstitutionId: origin.id,
      targets: ranking.targets.map((target) => ({
        ...view(target.institution),
        countyCode: target.institution.countyCode,
        distanceKm: target.distanceKm,
        reason: target.reason,
      })),
      passedOver: ranking.passedOver.map((passed) => ({
        ...view(passed.institution),
        distanceKm: passed.distanceKm,
        reason: passed.reason,
      })),
    };
  }

  async get(request: GetReferralRequest, ctx: CallContext): Promise<GetReferralResponse> {
    const id = requireId(request.referralId, 'referralId');
    const row = await this.repository.referral(id);
    await enforce(
      this.db,
      ctx,
      canReadReferral(ctx.principal, row.patient_id, [row.from_institution_id, row.to_institution_id]),
      row.patient_id,
      'referral.read',
    );
    const referral = await this.view(row, ctx);
    const reason = textAuditReason(ctx, [referralTextAccess(ctx, row)], referral.textWithheld);
    await recordAudit(this.db, ctx, {
      patientId: row.patient_id,
      action: 'referral.read',
      outcome: 'allowed',
      ...(reason ? { reason } : {}),
    });
    return { referral };
  }

  /** The referral with its transitions and booking, as this caller may see its text. */
  private async view(row: ReferralRow, ctx: CallContext, tx?: PoolClient): Promise<Referral> {
    const [transitions, bookings] = await Promise.all([
      this.repository.transitionsOf([row.id], tx),
      this.repository.bookingsOf([row.id], tx),
    ]);
    return toReferral(row, { transitions, booking: bookings[0] }, new Date(), referralTextAccess(ctx, row));
  }

  async worklist(
    request: ListInstitutionReferralsRequest,
    ctx: CallContext,
  ): Promise<ListInstitutionReferralsResponse> {
    const violations = new Violations();
    const institutionId = violations.check(() => requireId(request.institutionId, 'institutionId'));
    const direction = request.direction.trim().toLowerCase();
    if (direction !== '' && direction !== 'incoming' && direction !== 'outgoing')
      violations.add('direction', 'must be incoming or outgoing');
    const statuses = violations.check(() => parseStatusFilter(request.status));
    const limit = violations.check(() => checkPageSize(request.pageSize, 100, 20));
    violations.throwIfAny();
    await enforce(
      this.db,
      ctx,
      canReadReferralWorklist(ctx.principal, institutionId as string),
      '',
      'referral.worklist.read',
    );
    const filters = { institutionId, direction, statuses };
    const offset = decodeOffsetToken(request.pageToken, filters);
    const rows = await this.repository.worklist(
      institutionId as string,
      (direction || undefined) as 'incoming' | 'outgoing' | undefined,
      statuses,
      (limit as number) + 1,
      offset,
    );
    const page = rows.slice(0, limit);
    const ids = page.map((row) => row.id);
    const bookings = new Map((await this.repository.bookingsOf(ids)).map((booking) => [booking.referral_id, booking]));
    const now = new Date();
    const shown = page
      .map((row) => ({ row, access: referralTextAccess(ctx, row) }))
      .map(({ row, access }) => ({
        row,
        access,
        referral: toReferral(row, { booking: bookings.get(row.id) }, now, access),
      }));
    // One statement (one synchronous commit) for the page's patients, not one per patient.
    await recordAudits(
      this.db,
      ctx,
      [...new Set(page.map((row) => row.patient_id))].map((patientId) => {
        const hers = shown.filter((one) => one.row.patient_id === patientId);
        const reason = textAuditReason(
          ctx,
          hers.map((one) => one.access),
          hers.some((one) => one.referral.textWithheld),
        );
        return {
          patientId,
          action: 'referral.worklist.read',
          outcome: 'allowed' as const,
          ...(reason ? { reason } : {}),
        };
      }),
    );
    return {
      referrals: shown.map((one) => one.referral),
      nextPageToken: nextOffsetToken(filters, offset, limit as number, rows.length),
    };
  }

  async pendingSuggestions(
    request: ListPendingSuggestionsRequest,
    ctx: CallContext,
  ): Promise<ListPendingSuggestionsResponse> {
    const violations = new Violations();
    const institutionId = violations.check(() => requireId(request.institutionId, 'institutionId'));
    const limit = violations.check(() => checkPageSize(request.pageSize, 100, 20));
    violations.throwIfAny();
    await enforce(
      this.db,
      ctx,
      canReadReferralWorklist(ctx.principal, institutionId as string),
      '',
      'referral.suggestions.read',
    );
    const offset = decodeOffsetToken(request.pageToken, { institutionId });
    const rows = await this.repository.pendingSuggestions(institutionId as string, (limit as number) + 1, offset);
    const page = rows.slice(0, limit);
    await recordAudits(
      this.db,
      ctx,
      [...new Set(page.map((row) => row.patient_id))].map((patientId) => ({
        patientId,
        action: 'referral.suggestions.read',
        outcome: 'allowed' as const,
      })),
    );
    return {
      suggestions: page.map((row) => toSuggestion(row, suggestionTextAccess(ctx, row))),
      nextPageToken: nextOffsetToken({ institutionId }, offset, limit as number, rows.length),
    };
  }

  async dismissSuggestion(request: DismissSuggestionRequest, ctx: CallContext): Promise<DismissSuggestionResponse> {
    const requestBytes = DismissSuggestionRequest.encode(request).finish();
    const replay = await previousAnswer(this.db, scopeFromContext(ctx), requestBytes, DismissSuggestionResponse);
    if (replay) return replay;
    const violations = new Violations();
    const id = violations.check(() => requireId(request.suggestionId, 'suggestionId'));
    const reason = text(violations, request.reason, 'reason', { required: true, max: 500 });
    violations.throwIfAny();
    return runIdempotent(this.db, scopeFromContext(ctx), requestBytes, DismissSuggestionResponse, async (tx) => {
      const suggestion = await this.repository.lockSuggestion(tx, id as string);
      const decision = canReadReferralWorklist(ctx.principal, suggestion.institution_id);
      if (!decision.allowed)
        await enforce(this.db, ctx, decision, suggestion.patient_id, 'referral.suggestion.dismiss');
      if (suggestion.status !== 'pending')
        throw new FailedPreconditionError(`the suggestion is already ${suggestion.status}`, 'SUGGESTION_CLOSED');
      const text = await classifyWriteText(
        tx,
        ctx,
        suggestion.patient_id,
        'referral_suggestion',
        { dismiss_reason: reason },
        { accompaniesSensitiveFact: false, authorMarkedNotSensitive: request.textNotSensitive },
      );
      const closed = await this.repository.closeSuggestion(tx, suggestion.id, {
        status: 'dismissed',
        reason,
        reasonSensitivity: text.dismiss_reason,
        by: ctx.caller,
      });
      // The audit keeps the reason only when it is plain: sensitive text never goes into the audit.
      await recordAudit(tx, ctx, {
        patientId: suggestion.patient_id,
        action: 'referral.suggestion.dismiss',
        outcome: 'allowed',
        reason: text.dismiss_reason === 'plain' ? reason : 'reason withheld (sensitive text)',
      });
      return { suggestion: toSuggestion(closed, suggestionTextAccess(ctx, closed)) };
    });
  }

  // Writes

  /** When a referral is requested now and the deadline its urgency sets. */
  private requestedNow(urgency: Urgency): { created_at: Date; acceptance_deadline: Date } {
    const now = new Date();
    return { created_at: now, acceptance_deadline: acceptanceDeadline(now, urgency, this.options.windows) };
  }

  async create(request: CreateReferralRequest, ctx: CallContext): Promise<CreateReferralResponse> {
    const requestBytes = CreateReferralRequest.encode(request).finish();
    const replay = await previousAnswer(this.db, scopeFromContext(ctx), requestBytes, CreateReferralResponse);
    if (replay) return replay;
    const violations = new Violations();
    const patientId = violations.check(() => requireId(request.patientId, 'patientId'));
    const toId = violations.check(() => requireId(request.toInstitutionId, 'toInstitutionId'));
    const direction = nameOf(DIRECTION_OF, request.direction);
    if (!direction) violations.add('direction', 'must be REFERRAL_DIRECTION_UP or REFERRAL_DIRECTION_DOWN');
    const urgency =
      request.urgency === ReferralUrgency.REFERRAL_URGENCY_UNSPECIFIED
        ? 'routine'
        : nameOf(URGENCY_OF, request.urgency);
    if (!urgency) violations.add('urgency', 'must be routine, urgent or emergency');
    const reason = text(violations, request.reason, 'reason', { required: true });
    const followUpPlan = text(violations, request.followUpPlan, 'followUpPlan');
    const suggestionId = request.suggestionId
      ? violations.check(() => requireId(request.suggestionId, 'suggestionId'))
      : undefined;
    violations.throwIfAny();
    await enforce(
      this.db,
      ctx,
      canReferPatient(ctx.principal, patientId as string, ctx.purpose),
      patientId as string,
      'referral.create',
    );
    const fromId = ctx.principal?.institutionId as string;
    if (toId === fromId)
      throw InvalidArgumentError.field('toInstitutionId', "must be another institution than the caller's own");
    const [from, to] = await Promise.all([
      this.options.directory.institution(fromId, 'institution'),
      this.options.directory.institution(toId as string, 'toInstitutionId'),
    ]);
    checkDirection(direction as ReferralDirectionName, from, to);
    const [patient, record] = await Promise.all([
      this.options.directory.patientCounty(patientId as string, { parent: ctx }),
      this.options.records.record(patientId as string, { parent: ctx }),
    ]);
    const pregnancy = currentPregnancy(record);
    const accompanies = recordCarriesSensitiveFact(record);
    return runIdempotent(this.db, scopeFromContext(ctx), requestBytes, CreateReferralResponse, async (tx) => {
      const text = await classifyWriteText(
        tx,
        ctx,
        patientId as string,
        'referral',
        { reason, follow_up_plan: followUpPlan },
        { accompaniesSensitiveFact: accompanies, authorMarkedNotSensitive: request.textNotSensitive },
      );
      const row = await this.insertReferral(tx, ctx, {
        patient_id: patientId as string,
        pregnancy_id: pregnancy?.id ?? null,
        patient_county_code: patient.countyCode,
        direction: direction as ReferralDirectionName,
        urgency: urgency as Urgency,
        risk_colour: pregnancy?.risk?.colour ?? '',
        from_institution_id: fromId,
        to_institution_id: to.id,
        receiver_critical_care: to.capabilities.includes('critical_maternal_care'),
        requester_id: ctx.caller,
        reason,
        follow_up_plan: followUpPlan,
        ...this.requestedNow(urgency as Urgency),
        redirected_from: null,
        parent_referral_id: null,
        suggestion_id: suggestionId ?? null,
        reason_sensitivity: text.reason,
        follow_up_plan_sensitivity: text.follow_up_plan,
        accompanies_sensitive: accompanies,
      });
      if (suggestionId) {
        const suggestion = await this.repository.lockSuggestion(tx, suggestionId);
        if (suggestion.patient_id !== patientId)
          throw InvalidArgumentError.field('suggestionId', 'is about another patient');
        if (suggestion.institution_id !== fromId)
          throw InvalidArgumentError.field('suggestionId', "belongs to another institution's worklist");
        if (suggestion.status !== 'pending')
          throw new FailedPreconditionError(`the suggestion is already ${suggestion.status}`, 'SUGGESTION_CLOSED');
        await this.repository.closeSuggestion(tx, suggestionId, {
          status: 'referred',
          referralId: row.id,
          by: ctx.caller,
        });
      }
      let referral = row;
      if (row.direction === 'up') {
        const consultationId = await this.options.consultations.open(
          {
            referralId: row.id,
            patientId: row.patient_id,
            receiverInstitutionId: row.to_institution_id,
            subject: `Referral: ${reason}`,
            // A referral written beside her sensitive facts opens a thread whose text accompanies them too.
            accompaniesSensitive: row.accompanies_sensitive,
          },
          ctx,
        );
        if (consultationId)
          referral = await this.repository.updateReferral(tx, row.id, { consultation_id: consultationId });
      }
      await recordAudit(tx, ctx, { patientId: row.patient_id, action: 'referral.create', outcome: 'allowed' });
      return { referral: await this.view(referral, ctx, tx) };
    });
  }

  /** A new referral and its `request` transition, whose reason is the referral's unless another (classified) is given. */
  private async insertReferral(
    tx: PoolClient,
    ctx: CallContext,
    referral: NewReferral,
    reason?: { text: string; sensitivity: TextSensitivity },
  ): Promise<ReferralRow> {
    const row = await this.repository.insertReferral(tx, referral);
    await this.repository.insertTransition(tx, {
      referral_id: row.id,
      action: 'request',
      from_status: '',
      to_status: 'requested',
      actor_id: ctx.caller,
      institution_id: ctx.principal?.institutionId ?? '',
      reason: reason?.text ?? referral.reason,
      reason_sensitivity: reason?.sensitivity ?? referral.reason_sensitivity,
    });
    return row;
  }

  /**
   * Runs one action on one referral: the stored answer of a retried key first; the actor checked (a denial is
   * audited) before the transaction; then, under the row lock, the transition decided again on the locked state.
   */
  private async act<Req extends ActionRequest, Res>(
    action: ReferralAction,
    request: Req,
    codec: ResponseCodec<Res> & { encode(message: Res): { finish(): Uint8Array } },
    requestCodec: { encode(message: Req): { finish(): Uint8Array } },
    ctx: CallContext,
    input: { reason: string; validate?: (violations: Violations) => void },
    effect: (tx: PoolClient, row: ReferralRow, to: ReferralState, text: TextSensitivity) => Promise<Res>,
  ): Promise<Res> {
    const requestBytes = requestCodec.encode(request).finish();
    const replay = await previousAnswer(this.db, scopeFromContext(ctx), requestBytes, codec);
    if (replay) return replay;
    const violations = new Violations();
    const id = violations.check(() => requireId(request.referralId, 'referralId'));
    input.validate?.(violations);
    violations.throwIfAny();
    const known = await this.repository.referral(id as string);
    const side = referralSide(ctx.principal, known.from_institution_id, known.to_institution_id);
    const facts = factsOf(known);
    if (!sideAllowed(action, side)) {
      try {
        decideTransition(known.status, action, side, input.reason, facts);
      } catch (error) {
        if (error instanceof PermissionDeniedError)
          await enforce(this.db, ctx, deny(error.message), known.patient_id, `referral.${action}`);
        throw error;
      }
    }
    return runIdempotent(this.db, scopeFromContext(ctx), requestBytes, codec, async (tx) => {
      const row = await this.repository.lockReferral(tx, id as string);
      const transition = decideTransition(row.status, action, side, input.reason, factsOf(row));
      const field = textField(action);
      const classified = await classifyWriteText(
        tx,
        ctx,
        row.patient_id,
        `referral.${action}`,
        { [field]: input.reason },
        {
          accompaniesSensitiveFact: row.accompanies_sensitive,
          authorMarkedNotSensitive: request.textNotSensitive === true,
        },
      );
      const text = classified[field] as TextSensitivity;
      await this.repository.insertTransition(tx, {
        referral_id: row.id,
        action,
        from_status: row.status,
        to_status: transition.to,
        actor_id: ctx.caller,
        institution_id: ctx.principal?.institutionId ?? '',
        reason: input.reason,
        reason_sensitivity: text,
      });
      const result = await effect(tx, row, transition.to, text);
      await recordAudit(tx, ctx, { patientId: row.patient_id, action: `referral.${action}`, outcome: 'allowed' });
      return result;
    });
  }

  /** The plain transitions: the state moves, with a reason or note kept on the transition. */
  private simple<Req extends ActionRequest>(
    action: ReferralAction,
    request: Req,
    requestCodec: { encode(message: Req): { finish(): Uint8Array } },
    ctx: CallContext,
    reason: string,
    patch: (
      row: ReferralRow,
      to: ReferralState,
      text: TextSensitivity,
    ) => Parameters<ReferralRepository['updateReferral']>[2] = (_row, to) => ({ status: to }),
    also?: (tx: PoolClient, row: ReferralRow) => Promise<void>,
  ): Promise<{ referral: Referral }> {
    const codec = GetReferralResponse as unknown as ResponseCodec<{ referral: Referral }> & {
      encode(message: { referral: Referral }): { finish(): Uint8Array };
    };
    const required = action === 'reject' || action === 'fail';
    return this.act(
      action,
      request,
      codec,
      requestCodec,
      ctx,
      { reason: reason.trim(), validate: (v) => text(v, reason, reasonField(action), { required }) },
      async (tx, row, to, text) => {
        const updated = await this.repository.updateReferral(tx, row.id, patch(row, to, text));
        await also?.(tx, updated);
        return { referral: await this.view(updated, ctx, tx) };
      },
    );
  }

  receive(request: ReceiveReferralRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    return this.simple('receive', request, ReceiveReferralRequest, ctx, request.note);
  }

  reject(request: RejectReferralRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    return this.simple('reject', request, RejectReferralRequest, ctx, request.reason, (_row, to, text) => ({
      status: to,
      status_reason: request.reason.trim(),
      status_reason_sensitivity: text,
    }));
  }

  start(request: StartReferralRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    return this.simple('start', request, StartReferralRequest, ctx, request.note);
  }

  hold(request: HoldReferralRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    return this.simple('hold', request, HoldReferralRequest, ctx, request.reason);
  }

  resume(request: ResumeReferralRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    return this.simple('resume', request, ResumeReferralRequest, ctx, request.note);
  }

  complete(request: CompleteReferralRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    return this.simple('complete', request, CompleteReferralRequest, ctx, request.feedback, (_row, to, text) => ({
      status: to,
      completed_at: new Date(),
      feedback: request.feedback.trim(),
      feedback_sensitivity: text,
    }));
  }

  fail(request: FailReferralRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    return this.simple(
      'fail',
      request,
      FailReferralRequest,
      ctx,
      request.reason,
      (_row, to, text) => ({
        status: to,
        status_reason: request.reason.trim(),
        status_reason_sensitivity: text,
        completed_at: new Date(),
      }),
      (tx, row) => this.withdrawBooking(tx, row, 'failed', ctx),
    );
  }

  cancel(request: CancelReferralRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    return this.simple(
      'cancel',
      request,
      CancelReferralRequest,
      ctx,
      request.reason,
      (_row, to, text) => ({ status: to, status_reason: request.reason.trim(), status_reason_sensitivity: text }),
      (tx, row) => this.withdrawBooking(tx, row, 'cancelled', ctx),
    );
  }

  /**
   * A referral that ends before its patient arrives gives its booking up: a pending one is not made; a booked
   * appointment is cancelled in scheduling, now or (scheduling unreachable) by the worker.
   */
  private async withdrawBooking(
    tx: PoolClient,
    row: ReferralRow,
    ended: 'cancelled' | 'failed',
    ctx: CallContext,
  ): Promise<void> {
    const [booking] = await this.repository.bookingsOf([row.id], tx);
    if (!booking) return;
    if (booking.status === 'pending') {
      await this.repository.markBookingFailed(tx, row.id, `not booked: the referral was ${ended}`);
      return;
    }
    if (booking.status !== 'booked') return;
    const cancelling = await this.repository.setBookingStatus(tx, row.id, 'cancelling');
    await cancelAppointment(
      this.options.booker,
      this.repository,
      tx,
      cancelling,
      this.options.serviceAuth ? { metadata: await this.options.serviceAuth() } : { parent: ctx },
      ctx.logger,
    );
  }

  updateBusinessStatus(request: UpdateBusinessStatusRequest, ctx: CallContext): Promise<{ referral: Referral }> {
    const value = request.businessStatus.trim();
    const codec = GetReferralResponse as unknown as ResponseCodec<{ referral: Referral }> & {
      encode(message: { referral: Referral }): { finish(): Uint8Array };
    };
    return this.act(
      'business-status',
      request,
      codec,
      UpdateBusinessStatusRequest,
      ctx,
      {
        reason: value,
        validate: (v) => text(v, request.businessStatus, 'businessStatus', { required: true, max: 200 }),
      },
      async (tx, row, _to, text) => {
        const updated = await this.repository.updateReferral(tx, row.id, {
          business_status: value,
          business_status_sensitivity: text,
        });
        return { referral: await this.view(updated, ctx, tx) };
      },
    );
  }

  async accept(request: AcceptReferralRequest, ctx: CallContext): Promise<AcceptReferralResponse> {
    const booking = request.booking;
    const now = new Date();
    const validateBooking = (violations: Violations): void => {
      text(violations, request.note, 'note');
      if (!booking) return;
      if (
        booking.service === ServiceType.SERVICE_TYPE_UNSPECIFIED ||
        !serviceTypeToJSON(booking.service).startsWith('SERVICE_TYPE_') ||
        serviceTypeToJSON(booking.service) === 'UNRECOGNIZED'
      ) {
        violations.add('booking.service', 'must name a scheduling service type, e.g. SERVICE_TYPE_ANTENATAL_CHECK');
      }
      const start = booking.slotStart?.getTime();
      if (start === undefined) violations.add('booking.slotStart', 'is required');
      else if (!Number.isFinite(start) || start > now.getTime() + MAX_BOOKING_AHEAD_MS)
        violations.add('booking.slotStart', 'must be a time within a year from now');
      else if (!booking.earliestAtOrAfter && start <= now.getTime())
        violations.add('booking.slotStart', 'must be in the future (or set earliestAtOrAfter)');
    };
    // The receiver's view of her record at acceptance; without it the acceptance still stands.
    let record: PatientRecord | undefined;
    const known = UUID.test(request.referralId)
      ? await this.repository.referral(request.referralId.toLowerCase()).catch(() => undefined)
      : undefined;
    if (
      known &&
      referralSide(ctx.principal, known.from_institution_id, known.to_institution_id) === 'receiver' &&
      (known.status === 'requested' || known.status === 'received')
    ) {
      record = await this.options.records.record(known.patient_id, { parent: ctx }).catch((error: unknown) => {
        if (error instanceof UnavailableError) {
          ctx.logger.warn(
            { err: error, referralId: known.id },
            'records unavailable at acceptance: accepted without a snapshot',
          );
          return undefined;
        }
        throw error;
      });
    }
    return this.act(
      'accept',
      request,
      AcceptReferralResponse,
      AcceptReferralRequest,
      ctx,
      { reason: request.note.trim(), validate: validateBooking },
      async (tx, row, to) => {
        let updated = await this.repository.updateReferral(tx, row.id, {
          status: to,
          accepted_at: new Date(),
          snapshot: snapshotOf(record),
        });
        if (booking?.slotStart) {
          const start =
            booking.earliestAtOrAfter && booking.slotStart.getTime() < now.getTime() ? now : booking.slotStart;
          const pending = await this.repository.insertBooking(tx, {
            referral_id: row.id,
            patient_id: row.patient_id,
            institution_id: row.to_institution_id,
            service_type: serviceTypeToJSON(booking.service),
            requested_start: start,
            earliest_at_or_after: booking.earliestAtOrAfter,
            idempotency_key: bookingKey(row.id),
          });
          await this.bookNow(tx, pending, ctx);
          updated = await this.repository.referral(row.id, tx);
        }
        return { referral: await this.view(updated, ctx, tx) };
      },
    );
  }

  /**
   * Tries the booking within the acceptance: booked, or left pending for the worker when scheduling cannot be
   * reached. A definite refusal (no free slot) undoes the acceptance: the receiver chooses another slot or none.
   */
  private async bookNow(tx: PoolClient, booking: BookingRow, ctx: CallContext): Promise<BookingRow> {
    try {
      const auth: CallAuth = this.options.serviceAuth
        ? { metadata: await this.options.serviceAuth() }
        : { parent: ctx };
      const booked = await this.options.booker.book(orderOf(booking), auth);
      return await this.repository.markBooked(tx, booking.referral_id, booked.appointmentId, booked.start);
    } catch (error) {
      if (error instanceof BookingRefusedError)
        throw new FailedPreconditionError(
          `${error.message}; accept without a booking or choose another slot`,
          'BOOKING_REFUSED',
        );
      if (!(error instanceof UnavailableError)) throw error;
      ctx.logger.warn(
        { err: error, referralId: booking.referral_id },
        'scheduling unavailable at acceptance: the booking is left to the worker',
      );
      return this.repository.postponeBooking(tx, booking.referral_id, error.message, this.options.bookingRetryMs);
    }
  }

  async redirect(request: RedirectReferralRequest, ctx: CallContext): Promise<RedirectReferralResponse> {
    let targetId = '';
    const reason = request.reason.trim();
    return this.act(
      'redirect',
      request,
      RedirectReferralResponse,
      RedirectReferralRequest,
      ctx,
      {
        reason,
        validate: (violations) => {
          targetId = violations.check(() => requireId(request.toInstitutionId, 'toInstitutionId')) ?? '';
          text(violations, request.reason, 'reason', { required: true });
        },
      },
      async (tx, row, to, text) => {
        if (targetId === row.to_institution_id || targetId === row.from_institution_id) {
          throw InvalidArgumentError.field(
            'toInstitutionId',
            'must be an institution other than the sender and the current receiver',
          );
        }
        const [sender, target] = await Promise.all([
          this.options.directory.institution(row.from_institution_id, 'referralId'),
          this.options.directory.institution(targetId, 'toInstitutionId'),
        ]);
        checkDirection(row.direction, sender, target, 'toInstitutionId');
        const next = await this.insertReferral(
          tx,
          ctx,
          {
            patient_id: row.patient_id,
            pregnancy_id: row.pregnancy_id,
            patient_county_code: row.patient_county_code,
            direction: row.direction,
            urgency: row.urgency,
            risk_colour: row.risk_colour,
            from_institution_id: row.from_institution_id,
            to_institution_id: target.id,
            receiver_critical_care: target.capabilities.includes('critical_maternal_care'),
            requester_id: row.requester_id,
            reason: row.reason,
            follow_up_plan: row.follow_up_plan,
            ...this.requestedNow(row.urgency),
            redirected_from: row.id,
            parent_referral_id: row.parent_referral_id,
            suggestion_id: null,
            reason_sensitivity: row.reason_sensitivity,
            follow_up_plan_sensitivity: row.follow_up_plan_sensitivity,
            accompanies_sensitive: row.accompanies_sensitive,
          },
          // The redirecting institution's reason, classified above; the prefix adds nothing sensitive.
          { text: `redirected from ${row.to_institution_id}: ${reason}`, sensitivity: text },
        );
        const ended = await this.repository.updateReferral(tx, row.id, {
          status: to,
          status_reason: 'redirected',
          status_reason_sensitivity: 'plain',
          redirected_to: next.id,
        });
        return { referral: await this.view(ended, ctx, tx), redirectedTo: await this.view(next, ctx, tx) };
      },
    );
  }

  async referBack(request: ReferBackRequest, ctx: CallContext): Promise<ReferBackResponse> {
    let targetId = '';
    const plan = request.followUpPlan.trim();
    const feedback = request.feedback.trim();
    const urgency =
      request.urgency === ReferralUrgency.REFERRAL_URGENCY_UNSPECIFIED
        ? 'routine'
        : nameOf(URGENCY_OF, request.urgency);
    return this.act(
      'refer-back',
      request,
      ReferBackResponse,
      ReferBackRequest,
      ctx,
      {
        reason: feedback,
        validate: (violations) => {
          if (request.toInstitutionId)
            targetId = violations.check(() => requireId(request.toInstitutionId, 'toInstitutionId')) ?? '';
          text(violations, request.followUpPlan, 'followUpPlan', { required: true });
          text(violations, request.feedback, 'feedback', { required: true });
          if (!urgency) violations.add('urgency', 'must be routine, urgent or emergency');
        },
      },
      async (tx, row, to, text) => {
        const target = await this.options.directory.institution(targetId || row.from_institution_id, 'toInstitutionId');
        const planText = await classifyWriteText(
          tx,
          ctx,
          row.patient_id,
          'referral',
          { follow_up_plan: plan },
          {
            accompaniesSensitiveFact: row.accompanies_sensitive,
            authorMarkedNotSensitive: request.textNotSensitive,
          },
        );
        if (target.id === row.to_institution_id)
          throw InvalidArgumentError.field('toInstitutionId', "must be another institution than the caller's own");
        const receiver = await this.options.directory.institution(row.to_institution_id, 'referralId');
        checkDirection('down', receiver, target, 'toInstitutionId');
        const down = await this.insertReferral(tx, ctx, {
          patient_id: row.patient_id,
          pregnancy_id: row.pregnancy_id,
          patient_county_code: row.patient_county_code,
          direction: 'down',
          urgency: urgency as Urgency,
          risk_colour: row.risk_colour,
          from_institution_id: row.to_institution_id,
          to_institution_id: target.id,
          receiver_critical_care: target.capabilities.includes('critical_maternal_care'),
          requester_id: ctx.caller,
          reason: `follow-up after referral ${row.id}`,
          follow_up_plan: plan,
          ...this.requestedNow(urgency as Urgency),
          redirected_from: null,
          parent_referral_id: row.id,
          suggestion_id: null,
          reason_sensitivity: 'plain',
          follow_up_plan_sensitivity: planText.follow_up_plan,
          accompanies_sensitive: row.accompanies_sensitive,
        });
        const completed = await this.repository.updateReferral(tx, row.id, {
          status: to,
          completed_at: new Date(),
          feedback,
          feedback_sensitivity: text,
          down_referral_id: down.id,
        });
        return { referral: await this.view(completed, ctx, tx), downReferral: await this.view(down, ctx, tx) };
      },
    );
  }
}

function deny(reason: string): Decision {
  return { allowed: false, reason };
}

/** The free-text field an action writes, as the audit of its term matches names it (`referral.<action>.<field>`). */
function textField(action: ReferralAction): string {
  if (action === 'complete' || action === 'refer-back') return 'feedback';
  if (action === 'business-status') return 'business_status';
  return action === 'reject' || action === 'fail' || action === 'hold' || action === 'cancel' || action === 'redirect'
    ? 'reason'
    : 'note';
}

function reasonField(action: ReferralAction): string {
  return action === 'reject' || action === 'fail' || action === 'hold' || action === 'cancel'
    ? 'reason'
    : action === 'complete'
      ? 'feedback'
      : 'note';
}

function factsOf(row: ReferralRow): TransitionFacts {
  return {
    direction: row.direction,
    riskColour: row.risk_colour,
    receiverIsCriticalCareCentre: row.receiver_critical_care,
  };
}

/** Up goes to the same level or higher, down to the same level or lower. */
function checkDirection(
  direction: ReferralDirectionName,
  from: CandidateInstitution,
  to: CandidateInstitution,
  field = 'direction',
): void {
  const rise = LEVELS.indexOf(to.level) - LEVELS.indexOf(from.level);
  if (direction === 'up' && rise < 0)
    throw InvalidArgumentError.field(
      field,
      `an up-referral goes to the same level or higher; ${to.code} is ${to.level}, below ${from.level}`,
    );
  if (direction === 'down' && rise > 0)
    throw InvalidArgumentError.field(
      field,
      `a down-referral goes to the same level or lower; ${to.code} is ${to.level}, above ${from.level}`,
    );
}

/** `status` of a worklist: empty (all), `open`, or state names separated by commas. */
export function parseStatusFilter(raw: string): ReferralState[] | undefined {
  const value = raw.trim().toLowerCase();
  if (value === '') return undefined;
  const states = new Set<ReferralState>();
  for (const part of value.split(',').map((item) =>
    item
      .trim()
      .replace(/^referral_status_/, '')
      .replace(/_/g, '-'),
  )) {
    if (part === 'open') OPEN_STATES.forEach((state) => states.add(state));
    else if ((REFERRAL_STATES as readonly string[]).includes(part)) states.add(part as ReferralState);
    else
      throw InvalidArgumentError.field(
        'status',
        `unknown status "${part}"; use open or one of ${REFERRAL_STATES.join(', ')}`,
      );
  }
  return [...states];
}

/** The key of the cancellation of a referral's appointment. */
export function cancellationKey(referralId: string): string {
  return `referral-booking-cancel-${referralId}`;
}

/**
 * Asks scheduling to cancel a `cancelling` booking's appointment: cancelled; still cancelling (for the worker) when
 * scheduling cannot be reached; back to booked, with the reason, when scheduling refuses (she has already arrived).
 */
export async function cancelAppointment(
  booker: AppointmentBooker,
  repository: ReferralRepository,
  tx: PoolClient,
  booking: BookingRow,
  auth: CallAuth,
  logger: Logger,
): Promise<BookingRow> {
  try {
    await booker.cancel(
      booking.appointment_id,
      cancellationKey(booking.referral_id),
      'the referral was withdrawn',
      auth,
    );
    return await repository.setBookingStatus(tx, booking.referral_id, 'cancelled');
  } catch (error) {
    if (error instanceof BookingRefusedError)
      return repository.setBookingStatus(tx, booking.referral_id, 'booked', error.message);
    if (!(error instanceof UnavailableError)) throw error;
    logger.warn(
      { err: error, referralId: booking.referral_id },
      'scheduling unavailable: the appointment is cancelled later',
    );
    return repository.postponeBooking(
      tx,
      booking.referral_id,
      error.message,
      Math.min(60_000, 2_000 * 2 ** Math.min(10, booking.attempts)),
    );
  }
}

export function orderOf(booking: BookingRow): BookingOrder {
  return {
    referralId: booking.referral_id,
    patientId: booking.patient_id,
    institutionId: booking.institution_id,
    service: ServiceType[booking.service_type as keyof typeof ServiceType] ?? ServiceType.SERVICE_TYPE_UNSPECIFIED,
    start: booking.requested_start,
    earliestAtOrAfter: booking.earliest_at_or_after,
    idempotencyKey: booking.idempotency_key,
  };
}
