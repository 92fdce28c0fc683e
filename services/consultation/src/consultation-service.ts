// The consultation use cases: open a thread, join, invite, remove, post, read, mark read, close, subscribe. Each
// decides access with the shared policy (denials audited), audits every access to the thread as an access to the
// patient's data, runs every change in one transaction under the thread row's lock and the caller's
// Idempotency-Key, and announces new messages to the live feed after the commit.
import { randomUUID } from 'node:crypto';
import { enforce, listAuditEvents, recordAudit } from '../../common/src/audit';
import {
  canJoinConsultation,
  canManageConsultation,
  canOpenConsultation,
  canPostToConsultation,
  canReadAudit,
  canReadConsultation,
  ConsultationStanding,
  Decision,
  InstitutionLevelName,
} from '../../common/src/auth/policy';
import type { Principal } from '../../common/src/auth/principal';
import {
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
  Violations,
} from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { requireId } from '../../common/src/ids';
import { previousAnswer, ResponseCodec, runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import { checkPageSize, decodeOffsetToken, encodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { Database, PoolClient } from '../../common/src/pg/database';
import {
  AddParticipantRequest,
  AddParticipantResponse,
  CloseConsultationRequest,
  CloseConsultationResponse,
  Consultation,
  ConsultationStatus,
  CreateConsultationRequest,
  CreateConsultationResponse,
  GetConsultationRequest,
  GetConsultationResponse,
  JoinConsultationRequest,
  JoinConsultationResponse,
  ListAuditEventsRequest,
  ListAuditEventsResponse,
  ListMessagesRequest,
  ListMessagesResponse,
  ListMyConsultationsRequest,
  ListMyConsultationsResponse,
  MarkReadRequest,
  MarkReadResponse,
  Message,
  MessageKind,
  PostMessageRequest,
  PostMessageResponse,
  RemoveParticipantRequest,
  RemoveParticipantResponse,
  SubscribeRequest,
  SubscribeResponse,
} from '../../common/src/gen/mch/consultation/v1/consultation';
import {
  checkMessage,
  CheckedAttachment,
  checkNote,
  MAX_OUTCOME_CHARS,
  MAX_SUBJECT_CHARS,
  parseSequence,
  requireOpen,
  statusAfterClose,
  statusAfterJoin,
} from './domain/thread';
import type { AttachmentStore } from './attachments';
import type { IdentityDirectory } from './identity-client';
import type { LiveFeed } from './live';
import type { ConsultationRepository, ConsultationRow, MessageRow, NewMessage, ParticipantRow } from './repository';
import { attachmentNames, classifyWriteText, consultationTextAccess, type TextAccess } from './text-sensitivity';
import { KIND_NAMES, messageFor, messageView, STATUS_NAMES, toConsultation, toMessage } from './views';

/** A message's request bytes and response codec, for the idempotency store. */
interface Wire<Req, Res> {
  readonly request: { encode(message: Req): { finish(): Uint8Array } };
  readonly response: ResponseCodec<Res>;
}

/** A thread's participants are people: a service acting as itself never takes part (the policy denies it first). */
function participantKind(principal: Principal): 'staff' | 'resident' {
  if (principal.kind === 'service')
    throw new PermissionDeniedError('services do not take part in consultations', 'ACCESS_DENIED');
  return principal.kind;
}

const MESSAGE_PAGE_MAX = 200;
const LIST_PAGE_MAX = 100;

export class ConsultationService {
  constructor(
    private readonly db: Database,
    private readonly repository: ConsultationRepository,
    private readonly identity: IdentityDirectory,
    private readonly live: LiveFeed,
    private readonly attachments: AttachmentStore,
  ) {}

  /**
   * Runs a change once per Idempotency-Key: an answered key is answered again before any check (a retry after the
   * thread moved on gets its first answer), otherwise `effect` runs in one transaction; new messages are announced
   * after the commit.
   */
  private async change<Req, Res>(
    ctx: CallContext,
    wire: Wire<Req, Res>,
    request: Req,
    check: () => Promise<void>,
    effect: (tx: PoolClient, announce: (row: MessageRow) => void) => Promise<Res>,
  ): Promise<Res> {
    const bytes = wire.request.encode(request).finish();
    const replay = await previousAnswer(this.db, scopeFromContext(ctx), bytes, wire.response);
    if (replay) return replay;
    await check();
    const announced: Message[] = [];
    const result = await runIdempotent(this.db, scopeFromContext(ctx), bytes, wire.response, (tx) => {
      announced.length = 0;
      return effect(tx, (row) => announced.push(toMessage(row)));
    });
    for (const message of announced) this.live.publish(message);
    return result;
  }

  private async standing(
    ctx: CallContext,
    row: ConsultationRow,
  ): Promise<{ standing: ConsultationStanding; participant: ParticipantRow | undefined }> {
    const participant = ctx.principal ? await this.repository.participant(row.id, ctx.caller) : undefined;
    return {
      participant,
      standing: {
        kind: row.kind,
        patientId: row.patient_id,
        requesterInstitutionId: row.requester_institution_id ?? undefined,
        addressedInstitutionId: row.addressed_institution_id,
        participation: participant?.state,
      },
    };
  }

  /** Applies a decision about a thread; a denial is audited against its patient and refused. */
  private async decide(
    ctx: CallContext,
    row: ConsultationRow,
    action: string,
    decide: (standing: ConsultationStanding) => Decision,
  ): Promise<{ decision: Decision; participant: ParticipantRow | undefined }> {
    const { standing, participant } = await this.standing(ctx, row);
    const decision = decide(standing);
    await enforce(this.db, ctx, decision, row.patient_id, action);
    return { decision, participant };
  }

  /**
   * Allows a read of the thread and audits it (a platform admin's read as an operation, a break-glass read with its
   * reason); answers what the reader may see of its sensitive text.
   */
  private async allowRead(
    ctx: CallContext,
    consultationId: string,
    action: string,
  ): Promise<{ row: ConsultationRow; participant: ParticipantRow | undefined; access: TextAccess }> {
    const row = await this.repository.requireConsultation(requireId(consultationId, 'consultationId'));
    const { decision, participant } = await this.decide(ctx, row, action, (standing) =>
      canReadConsultation(ctx.principal, standing),
    );
    const operator = decision.allowed && decision.operator === true;
    const access = consultationTextAccess(ctx, row);
    const reason = operator
      ? 'platform operations'
      : access.breakGlass
        ? `break-glass: ${ctx.breakGlassReason ?? ''}`
        : access.maySeeSensitive
          ? undefined
          : 'sensitive text withheld';
    await recordAudit(this.db, ctx, { patientId: row.patient_id, action, outcome: 'allowed', reason });
    return { row, participant, access };
  }

  private async consultationView(row: ConsultationRow, ctx: CallContext, tx?: PoolClient): Promise<Consultation> {
    return toConsultation(row, await this.repository.participants([row.id], tx), consultationTextAccess(ctx, row));
  }

  /** A post whose text and attachment names are classified (and their term matches audited) in the write's transaction. */
  private async postOf(
    tx: PoolClient,
    ctx: CallContext,
    thread: { patientId: string; accompaniesSensitive: boolean; authorMarkedNotSensitive: boolean },
    text: string,
    attachments: readonly CheckedAttachment[],
  ): Promise<NewMessage> {
    const classified = await classifyWriteText(
      tx,
      ctx,
      thread.patientId,
      'consultation_message',
      { text, attachments: attachmentNames(attachments) },
      {
        accompaniesSensitiveFact: thread.accompaniesSensitive,
        authorMarkedNotSensitive: thread.authorMarkedNotSensitive,
      },
    );
    return {
      kind: 'post',
      senderAccountId: ctx.caller,
      senderInstitutionId: ctx.principal?.institutionId,
      text,
      attachments,
      textSensitivity: classified.text,
      attachmentsSensitivity: classified.attachments,
    };
  }

  private eventOf(ctx: CallContext, event: string, accountId: string): NewMessage {
    return {
      kind: 'event',
      senderAccountId: ctx.caller,
      senderInstitutionId: ctx.principal?.institutionId,
      event,
      eventAccountId: accountId,
    };
  }

  async create(request: CreateConsultationRequest, ctx: CallContext): Promise<CreateConsultationResponse> {
    const principal = ctx.principal;
    if (!principal) throw new UnauthenticatedError('a bearer token is required', 'TOKEN_MISSING');
    const violations = new Violations();
    const kind = KIND_NAMES.get(request.kind);
    if (!kind)
      violations.add('kind', 'must be CONSULTATION_KIND_RESIDENT_CLINICIAN or CONSULTATION_KIND_CLINICIAN_SPECIALIST');
    const patientId = violations.check(() =>
      requireId(request.patientId || (principal.kind === 'resident' ? (principal.patientId ?? '') : ''), 'patientId'),
    );
    const ownInstitution = principal.kind === 'staff' && kind === 'resident-clinician';
    const addressedRaw =
      ownInstitution && request.addressedInstitutionId === ''
        ? (principal.institutionId ?? '')
        : request.addressedInstitutionId;
    const addressed = violations.check(() => requireId(addressedRaw, 'addressedInstitutionId'));
    if (ownInstitution && addressed && addressed !== principal.institutionId)
      violations.add('addressedInstitutionId', 'staff open resident consultations at their own institution');
    const subject = checkNote(violations, 'subject', request.subject, MAX_SUBJECT_CHARS);
    let referralId: string | undefined;
    if (request.referralId !== '') {
      if (kind !== 'clinician-specialist')
        violations.add('referralId', 'only a clinician–specialist consultation belongs to a referral');
      else referralId = violations.check(() => requireId(request.referralId, 'referralId'));
    }
    const opening =
      request.text !== '' || request.attachments.length > 0
        ? violations.check(() => checkMessage(request.text, request.attachments))
        : undefined;
    violations.throwIfAny();
    if (!kind || !patientId || !addressed) throw new Error('unreachable: validated above');
    let openingAttachments: CheckedAttachment[] = [];

    return this.change(
      ctx,
      { request: CreateConsultationRequest, response: CreateConsultationResponse },
      request,
      async () => {
        const addressedLevel = await this.identity.institutionLevel(addressed, 'addressedInstitutionId');
        let callerLevel: InstitutionLevelName | undefined;
        if (kind === 'clinician-specialist' && principal.institutionId)
          callerLevel = await this.identity.institutionLevel(principal.institutionId, 'addressedInstitutionId');
        await enforce(
          this.db,
          ctx,
          canOpenConsultation(principal, kind, patientId, ctx.purpose, callerLevel, addressedLevel),
          patientId,
          'consultation.create',
        );
        if (principal.kind === 'staff') await this.identity.requirePatient(patientId, ctx);
        // The thread does not exist yet: an opening attachment belongs to the patient.
        if (opening) openingAttachments = await this.attachments.confirm(ctx, opening.attachments, { patientId });
      },
      async (tx, announce) => {
        const accompanies = request.accompaniesSensitive;
        const subjectText = await classifyWriteText(
          tx,
          ctx,
          patientId,
          'consultation',
          { subject },
          { accompaniesSensitiveFact: accompanies, authorMarkedNotSensitive: request.textNotSensitive },
        );
        const row = await this.repository.insertConsultation(tx, {
          id: randomUUID(),
          kind,
          patient_id: patientId,
          subject,
          referral_id: referralId ?? null,
          requester_account_id: ctx.caller,
          requester_institution_id: principal.institutionId ?? null,
          addressed_institution_id: addressed,
          subject_sensitivity: subjectText.subject,
          accompanies_sensitive: accompanies,
        });
        await this.repository.activateParticipant(
          tx,
          row.id,
          ctx.caller,
          participantKind(principal),
          principal.institutionId,
        );
        let message: Message | undefined;
        if (opening) {
          const post = await this.postOf(
            tx,
            ctx,
            { patientId, accompaniesSensitive: accompanies, authorMarkedNotSensitive: request.textNotSensitive },
            opening.text,
            openingAttachments,
          );
          const stored = await this.repository.appendMessage(tx, row.id, post);
          announce(stored);
          message = messageView(stored, consultationTextAccess(ctx, row));
        }
        await recordAudit(tx, ctx, { patientId, action: 'consultation.create', outcome: 'allowed' });
        return {
          consultation: await this.consultationView(await this.repository.requireConsultation(row.id, tx), ctx, tx),
          message,
        };
      },
    );
  }

  async get(request: GetConsultationRequest, ctx: CallContext): Promise<GetConsultationResponse> {
    const { row, participant } = await this.allowRead(ctx, request.consultationId, 'consultation.read');
    const lastRead = Number(participant?.last_read_sequence ?? 0);
    return {
      summary: {
        consultation: await this.consultationView(row, ctx),
        lastReadSequence: String(lastRead),
        unreadCount: participant ? await this.repository.unreadCount(row.id, ctx.caller, lastRead) : 0,
      },
    };
  }

  async listMine(request: ListMyConsultationsRequest, ctx: CallContext): Promise<ListMyConsultationsResponse> {
    if (!ctx.principal) throw new UnauthenticatedError('a bearer token is required', 'TOKEN_MISSING');
    const limit = checkPageSize(request.pageSize, LIST_PAGE_MAX, 20);
    const status =
      request.status === ConsultationStatus.CONSULTATION_STATUS_UNSPECIFIED
        ? undefined
        : STATUS_NAMES.get(request.status);
    if (request.status !== ConsultationStatus.CONSULTATION_STATUS_UNSPECIFIED && !status)
      throw InvalidArgumentError.field('status', 'is not a consultation status');
    const filters = { account: ctx.caller, status: status ?? '' };
    const offset = decodeOffsetToken(request.pageToken, filters);
    const rows = await this.repository.listForAccount(ctx.caller, status, limit + 1, offset);
    const page = rows.slice(0, limit);
    const participants = await this.repository.participants(page.map((row) => row.id));
    return {
      consultations: page.map((row) => ({
        consultation: toConsultation(row, participants, consultationTextAccess(ctx, row)),
        lastReadSequence: String(row.last_read_sequence),
        unreadCount: row.unread_count,
      })),
      nextPageToken: nextOffsetToken(filters, offset, limit, rows.length),
      totalUnread: await this.repository.totalUnread(ctx.caller),
    };
  }

  async post(request: PostMessageRequest, ctx: CallContext): Promise<PostMessageResponse> {
    const consultationId = requireId(request.consultationId, 'consultationId');
    const message = checkMessage(request.text, request.attachments);
    let attachments: CheckedAttachment[] = [];
    return this.change(
      ctx,
      { request: PostMessageRequest, response: PostMessageResponse },
      request,
      async () => {
        const row = await this.repository.requireConsultation(consultationId);
        await this.decide(ctx, row, 'consultation.message.post', (standing) =>
          canPostToConsultation(ctx.principal, standing),
        );
        attachments = await this.attachments.confirm(ctx, message.attachments, {
          consultationId,
          patientId: row.patient_id,
        });
      },
      async (tx, announce) => {
        const row = await this.repository.lockConsultation(tx, consultationId);
        requireOpen(row.status);
        const post = await this.postOf(
          tx,
          ctx,
          {
            patientId: row.patient_id,
            accompaniesSensitive: row.accompanies_sensitive,
            authorMarkedNotSensitive: request.textNotSensitive,
          },
          message.text,
          attachments,
        );
        const stored = await this.repository.appendMessage(tx, consultationId, post);
        await recordAudit(tx, ctx, {
          patientId: row.patient_id,
          action: 'consultation.message.post',
          outcome: 'allowed',
        });
        announce(stored);
        return { message: messageView(stored, consultationTextAccess(ctx, row)) };
      },
    );
  }

  async listMessages(request: ListMessagesRequest, ctx: CallContext): Promise<ListMessagesResponse> {
    const { row, access } = await this.allowRead(ctx, request.consultationId, 'consultation.messages.read');
    const limit = checkPageSize(request.pageSize, MESSAGE_PAGE_MAX, 50);
    const filters = { consultation: row.id };
    const after = request.pageToken
      ? decodeOffsetToken(request.pageToken, filters)
      : parseSequence(request.afterSequence, 'afterSequence');
    const rows = await this.repository.messagesAfter(row.id, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      messages: page.map((message) => messageView(message, access)),
      nextPageToken: rows.length > limit && last ? encodeOffsetToken(filters, Number(last.sequence)) : '',
      lastSequence: String(row.last_sequence),
    };
  }

  async markRead(request: MarkReadRequest, ctx: CallContext): Promise<MarkReadResponse> {
    const consultationId = requireId(request.consultationId, 'consultationId');
    const upTo = parseSequence(request.upToSequence, 'upToSequence');
    return this.change(
      ctx,
      { request: MarkReadRequest, response: MarkReadResponse },
      request,
      async () => {
        const row = await this.repository.requireConsultation(consultationId);
        await this.decide(ctx, row, 'consultation.read-mark', (standing) =>
          canPostToConsultation(ctx.principal, standing),
        );
        if (upTo > Number(row.last_sequence))
          throw InvalidArgumentError.field(
            'upToSequence',
            `is beyond the thread's last message (${row.last_sequence})`,
          );
      },
      async (tx) => {
        const marked = await this.repository.markRead(tx, consultationId, ctx.caller, upTo);
        return { lastReadSequence: String(marked.lastRead), unreadCount: marked.unread };
      },
    );
  }

  async join(request: JoinConsultationRequest, ctx: CallContext): Promise<JoinConsultationResponse> {
    const consultationId = requireId(request.consultationId, 'consultationId');
    const principal = ctx.principal;
    return this.change(
      ctx,
      { request: JoinConsultationRequest, response: JoinConsultationResponse },
      request,
      async () => {
        const row = await this.repository.requireConsultation(consultationId);
        await this.decide(ctx, row, 'consultation.join', (standing) =>
          canJoinConsultation(principal, standing, ctx.purpose),
        );
      },
      async (tx, announce) => {
        const row = await this.repository.lockConsultation(tx, consultationId);
        const current = (await this.repository.participants([consultationId], tx)).find(
          (participant) => participant.account_id === ctx.caller,
        );
        if (current?.state !== 'active' && principal) {
          const status = statusAfterJoin(row.status, ctx.caller === row.requester_account_id);
          await this.repository.activateParticipant(
            tx,
            consultationId,
            ctx.caller,
            participantKind(principal),
            principal.institutionId,
          );
          if (status !== row.status) await this.repository.updateStatus(tx, consultationId, status);
          announce(
            await this.repository.appendMessage(
              tx,
              consultationId,
              this.eventOf(ctx, 'participant.joined', ctx.caller),
            ),
          );
          // Joining opens the patient's thread to this account: audited like a record access, with the stated purpose.
          await recordAudit(tx, ctx, { patientId: row.patient_id, action: 'consultation.join', outcome: 'allowed' });
        }
        return {
          consultation: await this.consultationView(
            await this.repository.requireConsultation(consultationId, tx),
            ctx,
            tx,
          ),
        };
      },
    );
  }

  async addParticipant(request: AddParticipantRequest, ctx: CallContext): Promise<AddParticipantResponse> {
    const consultationId = requireId(request.consultationId, 'consultationId');
    const accountId = requireId(request.accountId, 'accountId');
    if (accountId === ctx.caller) throw InvalidArgumentError.field('accountId', 'is the caller: join instead');
    return this.change(
      ctx,
      { request: AddParticipantRequest, response: AddParticipantResponse },
      request,
      async () => {
        const row = await this.repository.requireConsultation(consultationId);
        await this.decide(ctx, row, 'consultation.participant.invite', (standing) =>
          canManageConsultation(ctx.principal, standing),
        );
      },
      async (tx, announce) => {
        const row = await this.repository.lockConsultation(tx, consultationId);
        requireOpen(row.status);
        const current = (await this.repository.participants([consultationId], tx)).find(
          (participant) => participant.account_id === accountId,
        );
        if (current?.state !== 'active' && current?.state !== 'invited') {
          await this.repository.inviteParticipant(tx, consultationId, accountId, ctx.caller);
          announce(
            await this.repository.appendMessage(
              tx,
              consultationId,
              this.eventOf(ctx, 'participant.invited', accountId),
            ),
          );
          await recordAudit(tx, ctx, {
            patientId: row.patient_id,
            action: 'consultation.participant.invite',
            outcome: 'allowed',
            reason: `invited ${accountId}`,
          });
        }
        return {
          consultation: await this.consultationView(
            await this.repository.requireConsultation(consultationId, tx),
            ctx,
            tx,
          ),
        };
      },
    );
  }

  async removeParticipant(request: RemoveParticipantRequest, ctx: CallContext): Promise<RemoveParticipantResponse> {
    const consultationId = requireId(request.consultationId, 'consultationId');
    const accountId = requireId(request.accountId, 'accountId');
    const leaving = accountId === ctx.caller;
    return this.change(
      ctx,
      { request: RemoveParticipantRequest, response: RemoveParticipantResponse },
      request,
      async () => {
        const row = await this.repository.requireConsultation(consultationId);
        await this.decide(ctx, row, 'consultation.participant.remove', (standing) =>
          leaving ? canPostToConsultation(ctx.principal, standing) : canManageConsultation(ctx.principal, standing),
        );
      },
      async (tx, announce) => {
        const row = await this.repository.lockConsultation(tx, consultationId);
        requireOpen(row.status);
        const current = (await this.repository.participants([consultationId], tx)).find(
          (participant) => participant.account_id === accountId,
        );
        if (!current || current.state === 'removed')
          throw new NotFoundError(`${accountId} is not a participant of consultation ${consultationId}`);
        await this.repository.removeParticipant(tx, consultationId, accountId);
        announce(
          await this.repository.appendMessage(tx, consultationId, this.eventOf(ctx, 'participant.removed', accountId)),
        );
        await recordAudit(tx, ctx, {
          patientId: row.patient_id,
          action: 'consultation.participant.remove',
          outcome: 'allowed',
          reason: `removed ${accountId}`,
        });
        return {
          consultation: await this.consultationView(
            await this.repository.requireConsultation(consultationId, tx),
            ctx,
            tx,
          ),
        };
      },
    );
  }

  async close(request: CloseConsultationRequest, ctx: CallContext): Promise<CloseConsultationResponse> {
    const consultationId = requireId(request.consultationId, 'consultationId');
    const violations = new Violations();
    const outcome = checkNote(violations, 'outcome', request.outcome, MAX_OUTCOME_CHARS);
    violations.throwIfAny();
    return this.change(
      ctx,
      { request: CloseConsultationRequest, response: CloseConsultationResponse },
      request,
      async () => {
        const row = await this.repository.requireConsultation(consultationId);
        await this.decide(ctx, row, 'consultation.close', (standing) => canManageConsultation(ctx.principal, standing));
      },
      async (tx, announce) => {
        const row = await this.repository.lockConsultation(tx, consultationId);
        const status = statusAfterClose(row.status);
        const outcomeText = await classifyWriteText(
          tx,
          ctx,
          row.patient_id,
          'consultation',
          { outcome },
          {
            accompaniesSensitiveFact: row.accompanies_sensitive,
            authorMarkedNotSensitive: request.textNotSensitive,
          },
        );
        await this.repository.updateStatus(tx, consultationId, status, {
          by: ctx.caller,
          outcome,
          outcomeSensitivity: outcomeText.outcome,
        });
        announce(
          await this.repository.appendMessage(tx, consultationId, this.eventOf(ctx, 'consultation.closed', ctx.caller)),
        );
        await recordAudit(tx, ctx, { patientId: row.patient_id, action: 'consultation.close', outcome: 'allowed' });
        return {
          consultation: await this.consultationView(
            await this.repository.requireConsultation(consultationId, tx),
            ctx,
            tx,
          ),
        };
      },
    );
  }

  async *subscribe(request: SubscribeRequest, ctx: CallContext): AsyncGenerator<SubscribeResponse> {
    const after = parseSequence(request.afterSequence, 'afterSequence');
    const { row, access } = await this.allowRead(ctx, request.consultationId, 'consultation.subscribe');
    for await (const item of this.live.messages(row.id, after, ctx.signal)) {
      if (item === 'live') {
        yield { started: { lastSequence: String(row.last_sequence) } };
        continue;
      }
      yield { message: await this.liveView(item, access) };
      // A participant removed while subscribed sees its removal, then the stream ends (a reconnect is refused).
      if (
        item.kind === MessageKind.MESSAGE_KIND_EVENT &&
        item.event === 'participant.removed' &&
        item.eventAccountId === ctx.caller
      )
        return;
    }
  }

  /**
   * A live message as this subscriber may see it. The feed carries messages whole between processes; a subscriber
   * who may not see her sensitive facts gets each post as its stored classification allows (read from Postgres).
   */
  private async liveView(message: Message, access: TextAccess): Promise<Message> {
    if (access.maySeeSensitive || message.kind !== MessageKind.MESSAGE_KIND_POST) return message;
    return messageFor(
      message,
      await this.repository.messageSensitivity(message.consultationId, message.sequence),
      access,
    );
  }

  async listAuditEvents(request: ListAuditEventsRequest, ctx: CallContext): Promise<ListAuditEventsResponse> {
    const patientId = requireId(request.patientId, 'patientId');
    await enforce(this.db, ctx, canReadAudit(ctx.principal, patientId), patientId, 'audit.read');
    return {
      events: await listAuditEvents(
        this.db,
        'consultation',
        patientId,
        request.before,
        checkPageSize(request.pageSize, 200, 50),
      ),
    };
  }
}
