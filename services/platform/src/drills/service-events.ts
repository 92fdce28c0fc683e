// What happened to the application services during a drill, from their logs: crashes (and why), and graceful
// shutdowns the drill never asked for — a SIGTERM/SIGINT from outside (another tool on the machine), which
// makes the run's figures unrepresentative.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceEvents {
  readonly service: string;
  /** Exits the platform did not cause, with a non-zero code or a signal. */
  readonly crashes: number;
  /** Crashes on an unhandled 'error' event (e.g. a pg client that lost its connection with no listener). */
  readonly unhandledErrorEvents: number;
  /** Graceful shutdowns (SIGTERM/SIGINT handlers ran) while the drill was running: not sent by the drill. */
  readonly outsideShutdowns: number;
  /** Lines of the service's own "unhandled rejection" log (a start-up step failed and was left dangling). */
  readonly unhandledRejections: number;
}

// The service's own line when its SIGTERM/SIGINT handler runs (not PostgreSQL's "the database system is shutting down",
// which a switchover puts in the services' error lines).
const SHUTDOWN_LINE = /shutting down: NOT_SERVING/;

/** Counts events in `logs/<service>.log` between `fromMs` and `toMs` (the platform's own stop excluded). */
export function serviceEvents(logDir: string, service: string, fromMs: number, toMs: number): ServiceEvents {
  let text = '';
  try {
    text = readFileSync(join(logDir, `${service}.log`), 'utf8');
  } catch {
    // no log: no events
  }
  let crashes = 0;
  let unhandledErrorEvents = 0;
  let outsideShutdowns = 0;
  let unhandledRejections = 0;
  let shuttingDown = false;
  for (const line of text.split('\n')) {
    const stamp = Date.parse(line.slice(0, 24));
    if (!Number.isFinite(stamp) || stamp < fromMs || stamp > toMs) continue;
    if (SHUTDOWN_LINE.test(line)) {
      outsideShutdowns++;
      shuttingDown = true;
    } else if (/Unhandled 'error' event/.test(line)) {
      unhandledErrorEvents++;
    } else if (/"msg":"unhandled rejection"/.test(line)) {
      unhandledRejections++;
    } else if (/\| exited with (code|signal) /.test(line)) {
      if (!shuttingDown && !/exited with code 0$/.test(line)) crashes++;
      shuttingDown = false;
    }
  }
  return { service, crashes, unhandledErrorEvents, outsideShutdowns, unhandledRejections };
}
