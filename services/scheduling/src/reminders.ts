// The reminder outbox drained to a pluggable sender: text messages in production (the gateway looks the number up
// by patient id), locally a JSON-lines file or the log. Rows are claimed with SKIP LOCKED, so replicas share the
// work; a failed send is retried with a growing delay, at most ten times.
import { appendFile } from 'node:fs/promises';
import type { Logger } from '../../common/src/logger';
import type { Database } from '../../common/src/pg/database';
import type { SchedulingRepository } from './repository';

export interface ReminderSender {
  send(reminder: { readonly patientId: string; readonly kind: string; readonly text: string }): Promise<void>;
}

/** Locally: one JSON line per reminder in `outboxFile`, or a log line that names only the patient id. */
export function localReminderSender(outboxFile: string | undefined, logger: Logger): ReminderSender {
  return {
    async send({ patientId, kind, text }) {
      if (outboxFile)
        await appendFile(outboxFile, `${JSON.stringify({ patientId, kind, text, at: new Date().toISOString() })}\n`);
      else logger.info({ patientId, kind }, 'reminder sent (local sender)');
    },
  };
}

export class ReminderWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly db: Database,
    private readonly repository: SchedulingRepository,
    private readonly sender: ReminderSender,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(
      () => void this.drainOnce().catch((error: unknown) => this.logger.warn({ err: error }, 'reminder drain failed')),
      this.intervalMs,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Sends what is due now; returns how many were sent. */
  async drainOnce(batch = 50): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      return await this.db.withTransaction(async (tx) => {
        let sent = 0;
        for (const reminder of await this.repository.claimReminders(tx, batch)) {
          try {
            await this.sender.send({ patientId: reminder.patient_id, kind: reminder.kind, text: reminder.message });
            await this.repository.markReminder(tx, reminder.id, undefined);
            sent++;
          } catch (error) {
            await this.repository.markReminder(tx, reminder.id, error instanceof Error ? error.message : String(error));
          }
        }
        return sent;
      });
    } finally {
      this.running = false;
    }
  }
}
