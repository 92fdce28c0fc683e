// DESIGN.md, durability rules: a COMMIT whose wait for the synchronous standby is cancelled is reported by
// PostgreSQL as a success with a WARNING; the client must never hear success for it while the standby has not
// confirmed — neither from the first answer nor from a retry with the same Idempotency-Key.
import { cancelledCommit, DEFAULT_DRILL_OPTIONS, type CancelledCommitReport } from '../src/drills/drills';
import { formatReport } from '../src/drills/main';

jest.setTimeout(300_000);

const log = (line: string): void => void process.stderr.write(`[cancelled-commit drill] ${line}\n`);

let report: CancelledCommitReport;

beforeAll(async () => {
  report = await cancelledCommit({ ...DEFAULT_DRILL_OPTIONS, log });
  console.log(formatReport(report));
}, 300_000);

test('the registration COMMIT was seen waiting for the frozen standby and cancelled, in every round', () => {
  expect(report.rounds.map((round) => round.cancelled)).toEqual([true, true]);
});

test('identity answers 503 UNAVAILABLE (unknown outcome) for the cancelled commit', () => {
  const bare = report.rounds.find((round) => !round.withIdempotencyKey);
  expect(bare?.heard.status).toBe(503);
  expect(JSON.parse(bare?.heard.body ?? '{}')).toMatchObject({ status: 'UNAVAILABLE' });
});

test('the client never hears 200 for the cancelled commit while the standby has not confirmed it, not even on a retry with the same key', () => {
  const heardSuccessEarly = report.rounds.flatMap((round) =>
    [round.heard, ...(round.retryWhileFrozen === undefined ? [] : [round.retryWhileFrozen])]
      .filter((heard) => heard.status === 200 && heard.beforeStandbyDropped)
      .map((heard) => `${round.label}: ${heard.outcome} at +${heard.afterFreezeMs} ms`),
  );
  expect(heardSuccessEarly).toEqual([]);
});
