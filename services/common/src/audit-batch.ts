// Group commit for the audit events of reads: concurrent reads hand their event to one writer, which inserts
// every waiting event in one statement and one synchronously replicated COMMIT, then lets them all answer. A read
// answers only after its event committed (a failed batch fails every read in it), so no answered read goes
// unaudited; under load one commit serves many reads instead of each holding a connection through its own.
import { actorOf, AuditEntry } from './audit';
import type { CallContext } from './grpc/context';
import type { Database } from './pg/database';

interface Pending {
  readonly row: readonly unknown[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** The most events one statement carries; more wait for the next commit. */
const MAX_BATCH = 500;

export class AuditBatcher {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Database) {}

  /** Resolves once the event is committed (on both zones when replication is synchronous). */
  record(ctx: CallContext, entry: AuditEntry): Promise<void> {
    const actor = actorOf(ctx.principal);
    const row = [
      actor.id,
      actor.kind,
      `{${actor.roles.map((role) => JSON.stringify(role)).join(',')}}`,
      actor.institution,
      entry.patientId,
      entry.action,
      ctx.purpose ?? '',
      entry.outcome,
      entry.reason ?? '',
      ctx.requestId,
    ];
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        // Ten parallel arrays, one element per event: one statement, one round trip, one commit, whatever the batch size.
        const columns = Array.from({ length: 10 }, (_, column) => batch.map((pending) => pending.row[column]));
        await this.db.executeCommitted(
          `INSERT INTO audit_events (actor_id, actor_kind, actor_roles, institution_id, patient_id, action, purpose, outcome, reason, request_id)
           SELECT actor_id, actor_kind, actor_roles::text[], institution_id, patient_id, action, purpose, outcome, reason, request_id
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
             AS e(actor_id, actor_kind, actor_roles, institution_id, patient_id, action, purpose, outcome, reason, request_id)`,
          columns,
        );
        for (const pending of batch) pending.resolve();
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.flushing = false;
  }
}
