// What a service's log says happened to it during a drill: its own shutdowns (not PostgreSQL's "shutting down"
// in an error line during a switchover), crashes, unhandled rejections.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceEvents } from './service-events';

test('counts the service\'s own shutdowns and crashes, not a database error that says "shutting down"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mch-events-'));
  try {
    const at = (second: number): string => new Date(Date.UTC(2026, 10, 26, 0, 0, second)).toISOString();
    writeFileSync(
      join(dir, 'identity.log'),
      [
        `${at(1)} | {"level":"warn","msg":"transaction retried","err":{"type":"DatabaseError","message":"the database system is shutting down","code":"57P03"}}`,
        `${at(2)} | {"level":"info","msg":"shutting down: NOT_SERVING, draining calls in flight"}`,
        `${at(3)} | exited with code 0`,
        `${at(4)} | exited with signal SIGKILL`,
        `${at(5)} | {"level":"error","msg":"unhandled rejection"}`,
        `${at(9)} | exited with signal SIGKILL`,
      ].join('\n'),
    );
    const events = serviceEvents(dir, 'identity', Date.parse(at(0)), Date.parse(at(8)));
    expect(events).toMatchObject({ outsideShutdowns: 1, crashes: 1, unhandledRejections: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
