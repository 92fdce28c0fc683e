// The ride-through drill (#33 §1) on a platform of its own, default (available) durability: readers, writers with
// idempotency keys and SSE subscribers through a switchover, a kill of the primary's zone, the loss of the standby
// and a Redis restart. Counts are asserted (no acknowledged write lost, no client-visible error, no message missed
// after Last-Event-ID); the latencies are printed, never asserted.
import { DEFAULT_DRILL_OPTIONS } from '../src/drills/drills';
import { formatReport } from '../src/drills/main';
import { RIDE_THROUGH_EVENTS, rideThrough, type RideThroughReport } from '../src/drills/ride-through';

jest.setTimeout(600_000);

const log = (line: string): void => void process.stderr.write(`[ride-through drill] ${line}\n`);

let report: RideThroughReport;

beforeAll(async () => {
  report = await rideThrough({
    ...DEFAULT_DRILL_OPTIONS,
    writers: 8,
    readers: 6,
    subscribers: 3,
    warmupSeconds: 5,
    seconds: 5,
    log,
  });
  console.log(formatReport(report));
}, 600_000);

test('every event ran, under load', () => {
  expect(report.events.map((e) => e.event)).toEqual([...RIDE_THROUGH_EVENTS]);
  for (const event of report.events) {
    expect({ event: event.event, failed: event.detail.startsWith('FAILED') }).toEqual({
      event: event.event,
      failed: false,
    });
    expect(event.requests).toBeGreaterThan(0);
    expect(event.sse.postedAcknowledged).toBeGreaterThan(0);
  }
});

test('no acknowledged write is lost or doubled, on either zone', () => {
  for (const ledger of [report.ledger, report.standbyLedger]) {
    expect({ on: ledger.checkedOn, lost: ledger.examples.lost, duplicated: ledger.examples.duplicated }).toEqual({
      on: ledger.checkedOn,
      lost: [],
      duplicated: [],
    });
    expect(ledger.lost + ledger.duplicated + ledger.unexpected + ledger.failedButPresent).toBe(0);
  }
  expect(report.ledger.acknowledged).toBeGreaterThan(0);
});

test('no client sees an error in any event, and no subscriber misses a message after resuming', () => {
  expect(
    report.events.map((e) => ({
      event: e.event,
      errors: e.clientVisibleErrors,
      examples: e.errorExamples,
      missed: e.sse.missed,
      refusedResumes: e.sse.refusedOpens,
    })),
  ).toEqual(RIDE_THROUGH_EVENTS.map((event) => ({ event, errors: 0, examples: [], missed: 0, refusedResumes: 0 })));
  expect(report.problems).toEqual([]);
});
