// Losing the primary zone under 50 writers through the gateway, on a platform of its own: no acknowledged write
// is lost or applied twice, and the lost zone comes back as synchronous standby by itself. Timings are printed.
import { DEFAULT_DRILL_OPTIONS, zoneLoss, type ZoneLossReport } from '../src/drills/drills';
import { formatReport } from '../src/drills/main';

jest.setTimeout(600_000);

const log = (line: string): void => void process.stderr.write(`[zone-loss drill] ${line}\n`);

let report: ZoneLossReport;

beforeAll(async () => {
  report = await zoneLoss({ ...DEFAULT_DRILL_OPTIONS, writers: 50, warmupSeconds: 5, seconds: 10, log });
  console.log(formatReport(report));
}, 600_000);

test('kill -9 of the primary zone loses no acknowledged write and duplicates none, on either zone', () => {
  for (const ledger of [report.ledger, report.standbyLedger]) {
    expect({
      on: ledger.checkedOn,
      lost: ledger.examples.lost,
      duplicated: ledger.examples.duplicated,
      unexpected: ledger.examples.unexpected,
      failedButPresent: ledger.failedButPresent,
    }).toEqual({
      on: ledger.checkedOn,
      lost: [],
      duplicated: [],
      unexpected: [],
      failedButPresent: 0,
    });
    expect(ledger.lost + ledger.duplicated + ledger.unexpected).toBe(0);
  }
  expect(report.ledger.acknowledged).toBeGreaterThan(0);
  // Writes resumed after the failover: acknowledgements came from writes started after the kill.
  expect(report.cycle.firstAckAfterKillMs).toBeGreaterThan(0);
});

test('the other zone took over and the lost zone rejoined as synchronous standby without intervention', () => {
  expect(report.cycle.newLeader).not.toBe(report.cycle.killedZone);
  expect(report.finalCluster).toMatchObject({
    leader: report.cycle.newLeader,
    syncStandby: report.cycle.killedZone,
    inSync: true,
  });
  expect(Number.isFinite(report.cycle.syncStreamingAfterRestartMs)).toBe(true);
  expect(report.problems).toEqual([]);
});

test('every object acknowledged through the zone loss (its store agent killed with it) is, after the repair, byte-identical in both zones', () => {
  const objects = report.objects;
  if (!objects) throw new Error('the drill ran without the object store (replication service not built?)');
  expect(objects.acknowledged).toBeGreaterThan(0);
  expect({ lost: objects.lost, examples: objects.lostExamples, mismatchedReads: objects.reads.mismatched }).toEqual({
    lost: 0,
    examples: [],
    mismatchedReads: 0,
  });
  expect(objects.inBothZones).toBe(objects.acknowledged);
  expect(objects.repairedAfterRejoinMs).toBeDefined();
});
