// Referral's background work, done as the service itself (its service identity): reading records' risk outbox
// into pending suggestions, and completing bookings that scheduling could not take at acceptance. Both keep their
// state in referral's schema, so a restart or a failover resumes where the last commit left off.
import type { ServiceIdentity } from '../../common/src/auth/service-identity';
import { UnavailableError } from '../../common/src/errors';
import type { RiskEvent } from '../../common/src/gen/mch/records/v1/records';
import type { Logger } from '../../common/src/logger';
import type { Database, PoolClient } from '../../common/src/pg/database';
import { AppointmentBooker, BookingRefusedError, IdentityDirectory, RecordsReader } from './clients';
import { misfit, requirementFor, RoutingRules } from './domain/routing';
import { cancelAppointment, orderOf, ServiceAuth } from './referral-service';
import type { ReferralRepository } from './repository';

export const RISK_OUTBOX = 'records.risk_events';
const PAGE = 100;

/** Runs `work` every `intervalMs` (after the previous run ends) until stopped; a failure is logged and retried. */
export function repeat(
  name: string,
  intervalMs: number,
  logger: Logger,
  work: () => Promise<unknown>,
): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const run = (): void => {
    if (stopped) return;
    work()
      .then(
        () => {
          failures = 0;
        },
        (error: unknown) => {
          failures++;
          if (failures === 1 || failures % 30 === 0)
            logger.warn({ err: error, worker: name, failures }, 'worker run failed; retrying');
        },
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(run, intervalMs * Math.min(8, 2 ** Math.max(0, failures - 1)));
        timer?.unref();
      });
  };
  timer = setTimeout(run, intervalMs);
  timer.unref();
  return {
    stop(): void {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * Reads the risk outbox from the stored cursor. A page is applied in one transaction with the cursor's advance,
 * under the cursor's row lock (a second replica reading the same page finds the cursor moved and drops its copy);
 * a suggestion is keyed by pregnancy and institution and remembers its event, so a replay changes nothing.
 */
export class RiskOutboxConsumer {
  constructor(
    private readonly db: Database,
    private readonly repository: ReferralRepository,
    private readonly records: RecordsReader,
    private readonly directory: IdentityDirectory,
    private readonly identity: ServiceIdentity,
    private readonly rules: RoutingRules,
    private readonly logger: Logger,
  ) {}

  /** Applies one page; returns how many events it read (0 when caught up). */
  async pollOnce(): Promise<number> {
    const cursor = await this.repository.cursor(RISK_OUTBOX);
    const page = await this.records.riskEvents(cursor, PAGE, { metadata: await this.identity.metadata() });
    if (page.events.length === 0) return 0;
    const institutions = await this.directory.institutions();
    const applied = await this.db.withTransaction(async (tx) => {
      if ((await this.repository.lockCursor(tx, RISK_OUTBOX)) !== cursor) return false;
      for (const event of page.events) await this.apply(tx, event, institutions);
      await this.repository.advanceCursor(tx, RISK_OUTBOX, page.nextCursor);
      return true;
    });
    if (applied) this.logger.debug({ events: page.events.length }, 'risk outbox page applied');
    return applied ? page.events.length : 0;
  }

  private async apply(
    tx: PoolClient,
    event: RiskEvent,
    institutions: Awaited<ReturnType<IdentityDirectory['institutions']>>,
  ): Promise<void> {
    if (!this.rules.suggestOnColours.includes(event.colour)) {
      // Her grade dropped: a suggestion raised by an earlier grade no longer stands.
      await this.repository.withdrawSuggestions(tx, event.pregnancyId, `regraded ${event.colour || 'ungraded'}`);
      return;
    }
    const treating = institutions.find((institution) => institution.id === event.institutionId);
    if (!treating) return;
    // Where she is already managed at a level that fits her colour, there is nothing to suggest.
    const requirement = requirementFor(this.rules, {
      colour: event.colour,
      besideColours: event.besideColours,
      screenPositive: false,
    });
    if (misfit(treating, requirement, event.colour) === undefined) return;
    await this.repository.upsertSuggestion(tx, {
      patient_id: event.patientId,
      pregnancy_id: event.pregnancyId,
      institution_id: treating.id,
      colour: event.colour,
      previous_colour: event.previousColour,
      county_code: event.countyCode,
      last_event: event.cursor,
      graded_at: event.occurredAt ?? new Date(),
    });
  }

  /** Drains the outbox: pages until caught up. */
  async drain(): Promise<void> {
    while ((await this.pollOnce()) === PAGE) {
      // a full page: there may be more
    }
  }
}

const MAX_BOOKING_DELAY_MS = 60_000;

/** Completes pending bookings one at a time, each under its row lock (SKIP LOCKED: replicas share the work). */
export class BookingRetrier {
  constructor(
    private readonly db: Database,
    private readonly repository: ReferralRepository,
    private readonly booker: AppointmentBooker,
    private readonly serviceAuth: ServiceAuth,
    private readonly firstDelayMs: number,
    private readonly logger: Logger,
  ) {}

  /** Tries one due booking; returns whether there was one. */
  async retryOne(): Promise<boolean> {
    return this.db.withTransaction(async (tx) => {
      const [booking] = await this.repository.lockDueBookings(tx, 1);
      if (!booking) return false;
      if (booking.status === 'cancelling') {
        await cancelAppointment(
          this.booker,
          this.repository,
          tx,
          booking,
          { metadata: await this.serviceAuth() },
          this.logger,
        );
        return true;
      }
      const referral = await this.repository.referral(booking.referral_id, tx);
      if (referral.status === 'cancelled' || referral.status === 'failed') {
        // Nobody is coming any more: the appointment is not booked.
        await this.repository.markBookingFailed(
          tx,
          booking.referral_id,
          `not booked: the referral was ${referral.status}`,
        );
        return true;
      }
      try {
        const booked = await this.booker.book(orderOf(booking), { metadata: await this.serviceAuth() });
        await this.repository.markBooked(tx, booking.referral_id, booked.appointmentId, booked.start);
        this.logger.info(
          { referralId: booking.referral_id, attempts: booking.attempts + 1 },
          'pending booking completed',
        );
      } catch (error) {
        if (error instanceof BookingRefusedError) {
          await this.repository.markBookingFailed(tx, booking.referral_id, error.message);
          this.logger.warn({ referralId: booking.referral_id }, 'scheduling refused a pending booking');
        } else {
          const delay = Math.min(MAX_BOOKING_DELAY_MS, this.firstDelayMs * 2 ** Math.min(10, booking.attempts));
          await this.repository.postponeBooking(
            tx,
            booking.referral_id,
            error instanceof UnavailableError ? error.message : 'scheduling unavailable',
            delay,
          );
        }
      }
      return true;
    });
  }

  async drain(limit = 20): Promise<void> {
    for (let i = 0; i < limit && (await this.retryOne()); i++) {
      // one booking per transaction
    }
  }
}
