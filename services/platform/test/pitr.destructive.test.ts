// Point-in-time recovery on platforms of its own: a mistake that synchronous replication copied to both zones
// at once is undone by restoring the backups to the moment before it into a fresh pair. Timings are printed.
import { describePitr, runPitrDrill, type PitrReport } from '../src/drills/pitr';

jest.setTimeout(600_000);

const log = (line: string): void => void process.stderr.write(`[pitr drill] ${line}\n`);

let report: PitrReport;

beforeAll(async () => {
  report = await runPitrDrill({ rows: 1_000, keepData: false, log });
  console.log(describePitr(report));
}, 600_000);

test('every row acknowledged before the target is back, and nothing written after it', () => {
  expect({ missing: report.missing, unexpected: report.unexpected, restored: report.restoredRows }).toEqual({
    missing: 0,
    unexpected: 0,
    restored: report.acknowledgedBeforeTarget,
  });
  expect(report.writtenAfterTarget).toBeGreaterThan(0);
});

test('the restored pair runs on a new timeline', () => {
  expect(report.restoredTimeline).toBeGreaterThan(1);
});
