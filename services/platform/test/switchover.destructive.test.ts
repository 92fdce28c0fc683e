// A planned switchover through Patroni's REST API under 50 writers through the gateway, on a platform of its
// own: nothing acknowledged is lost or doubled and the old primary ends as synchronous standby. Timings are printed.
import { DEFAULT_DRILL_OPTIONS, switchover, type SwitchoverReport } from '../src/drills/drills';
import { formatReport } from '../src/drills/main';

jest.setTimeout(600_000);

const log = (line: string): void => void process.stderr.write(`[switchover drill] ${line}\n`);

let report: SwitchoverReport;

beforeAll(async () => {
  report = await switchover({ ...DEFAULT_DRILL_OPTIONS, writers: 50, warmupSeconds: 5, seconds: 10, log });
  console.log(formatReport(report));
}, 600_000);

test('a switchover under load loses no acknowledged write and duplicates none, on either zone', () => {
  for (const ledger of [report.ledger, report.standbyLedger]) {
    expect({
      on: ledger.checkedOn,
      lost: ledger.examples.lost,
      duplicated: ledger.examples.duplicated,
      unexpected: ledger.examples.unexpected,
    }).toEqual({
      on: ledger.checkedOn,
      lost: [],
      duplicated: [],
      unexpected: [],
    });
    expect(ledger.lost + ledger.duplicated + ledger.unexpected + ledger.failedButPresent).toBe(0);
  }
  expect(report.ledger.acknowledged).toBeGreaterThan(0);
});

test('the candidate leads and the old primary is its synchronous standby', () => {
  expect(report.to).not.toBe(report.from);
  expect(report.finalCluster).toMatchObject({ leader: report.to, syncStandby: report.from, inSync: true });
  expect(report.problems).toEqual([]);
});
