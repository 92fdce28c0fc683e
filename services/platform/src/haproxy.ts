// HAProxy in front of the zones: read-write to whichever member Patroni calls primary, read-only to the standby.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OsAccount } from './account';
import { httpOk } from './probes';
import type { ComponentSpec } from './supervisor';

export const HAPROXY_COMPONENT = 'haproxy';

export interface HaproxyMember {
  readonly name: string;
  readonly postgresPort: number;
  readonly patroniPort: number;
}

export interface HaproxyOptions {
  readonly dataDir: string;
  readonly readWritePort: number;
  readonly readOnlyPort: number;
  readonly statsPort: number;
  readonly members: readonly HaproxyMember[];
  readonly account: OsAccount;
}

/**
 * Health checks ask Patroni's REST API with OPTIONS (the same answer as GET /primary or GET /replica, status
 * line only: HAProxy closes a check connection as soon as it has the status, and a body Patroni is still
 * writing then ends in a logged "Connection reset by peer"). They run every second; a member is out after two failed checks and back
 * after one good one. `downinter 200ms` notices a newly promoted primary within 0.2 s of Patroni saying so
 * (Patroni says so when it takes the leader key, 0.05–1.1 s, median 0.2 s, before PostgreSQL finishes
 * promoting: the first writes may meet "read-only transaction", which the services retry; with 500 ms the
 * check came 0.1–0.35 s after the promotion in 4 of 5 kills, adding that to the write gap), and
 * `on-marked-down shutdown-sessions` cuts clients off a demoted primary at once.
 */
export const HAPROXY_CHECK_TIMINGS = {
  inter: '1s',
  fastinter: '500ms',
  downinter: '200ms',
  readWriteFall: 2,
  readOnlyFall: 3,
  rise: 1,
  checkTimeout: '1s',
} as const;

function serverLines(members: readonly HaproxyMember[], fall: number): string[] {
  const t = HAPROXY_CHECK_TIMINGS;
  return [
    `    default-server inter ${t.inter} fastinter ${t.fastinter} downinter ${t.downinter} fall ${fall} rise ${t.rise} on-marked-down shutdown-sessions`,
    ...members.map(
      (member) => `    server ${member.name} 127.0.0.1:${member.postgresPort} check port ${member.patroniPort}`,
    ),
  ];
}

export function haproxyConfiguration(options: HaproxyOptions): string {
  const t = HAPROXY_CHECK_TIMINGS;
  return [
    'global',
    '    maxconn 2000',
    '',
    'defaults',
    '    mode tcp',
    '    retries 2',
    '    timeout connect 2s',
    '    timeout client 30m',
    '    timeout server 30m',
    `    timeout check ${t.checkTimeout}`,
    '',
    'listen stats',
    '    mode http',
    `    bind 127.0.0.1:${options.statsPort}`,
    '    stats enable',
    '    stats uri /',
    '    stats refresh 2s',
    '',
    'listen postgres_read_write',
    `    bind 127.0.0.1:${options.readWritePort}`,
    '    option httpchk OPTIONS /primary',
    '    http-check expect status 200',
    ...serverLines(options.members, t.readWriteFall),
    '',
    'frontend postgres_read_only',
    `    bind 127.0.0.1:${options.readOnlyPort}`,
    // With no healthy standby, reads go to the primary rather than failing.
    '    use_backend postgres_standby if { nbsrv(postgres_standby) gt 0 }',
    '    default_backend postgres_primary',
    '',
    'backend postgres_standby',
    '    balance roundrobin',
    '    option httpchk OPTIONS /replica',
    '    http-check expect status 200',
    ...serverLines(options.members, t.readOnlyFall),
    '',
    'backend postgres_primary',
    '    option httpchk OPTIONS /primary',
    '    http-check expect status 200',
    ...serverLines(options.members, t.readWriteFall),
    '',
  ].join('\n');
}

export function haproxySpec(options: HaproxyOptions): ComponentSpec {
  const configPath = join(options.dataDir, 'haproxy.cfg');
  writeFileSync(configPath, haproxyConfiguration(options));
  return {
    name: HAPROXY_COMPONENT,
    command: '/usr/sbin/haproxy',
    // -db: stay in the foreground, the supervisor owns the process.
    args: ['-db', '-f', configPath],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    account: options.account,
    restart: 'on-crash',
    readiness: () => httpOk(statsUrl(options.statsPort)),
    stopTimeoutMs: 5_000,
  };
}

export function statsUrl(statsPort: number): string {
  return `http://127.0.0.1:${statsPort}/`;
}
