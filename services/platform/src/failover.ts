// Zone-loss drills: a steady writer through the read-write endpoint, a killed zone, and what the writer and Patroni saw.
import { Client } from 'pg';
import { waitForCluster, type ClusterStatus, type Zone } from './patroni';
import type { Platform } from './platform';
import { sleep } from './proc';

const PROBE_SCHEMA = 'platform_probe';

interface Commit {
  readonly id: number;
  readonly at: number;
}

/** Inserts one row after another through the rw endpoint, reconnecting after every failure. */
export class WriteProbe {
  readonly commits: Commit[] = [];
  /** Commits whose outcome the client could not know (the connection failed during the statement). */
  unknownOutcomes = 0;
  readonly failureTimes: number[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly rwUrl: string,
    private readonly pauseMs = 5,
  ) {}

  async prepare(): Promise<void> {
    const client = new Client({ connectionString: this.rwUrl });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${PROBE_SCHEMA}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${PROBE_SCHEMA}.commits (id bigserial PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())`,
      );
    } finally {
      await client.end();
    }
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let client: Client | undefined;
    while (this.running) {
      try {
        if (client === undefined) {
          client = new Client({ connectionString: this.rwUrl, connectionTimeoutMillis: 1000 });
          client.on('error', () => undefined);
          await client.connect();
        }
        const connected: Client = client;
        try {
          const result = await connected.query<{ id: string }>(
            `INSERT INTO ${PROBE_SCHEMA}.commits DEFAULT VALUES RETURNING id`,
          );
          const id = Number(result.rows[0]?.id);
          this.commits.push({ id, at: Date.now() });
        } catch (error) {
          // A failure during the INSERT's implicit COMMIT may still have committed: never counted as lost.
          if (!/read-only transaction/.test(String(error))) this.unknownOutcomes += 1;
          throw error;
        }
      } catch {
        this.failureTimes.push(Date.now());
        await client?.end().catch(() => undefined);
        client = undefined;
        await sleep(50);
        continue;
      }
      if (this.pauseMs > 0) await sleep(this.pauseMs);
    }
    await client?.end().catch(() => undefined);
  }

  firstFailureAfter(at: number): number | undefined {
    return this.failureTimes.find((failedAt) => failedAt >= at);
  }

  lastCommitBefore(at: number): Commit | undefined {
    return [...this.commits].reverse().find((commit) => commit.at <= at);
  }

  firstCommitAfter(at: number): Commit | undefined {
    return this.commits.find((commit) => commit.at > at);
  }

  /** Acknowledged commits that the database no longer has: must be none (RPO 0). */
  async missingCommits(): Promise<number[]> {
    const client = new Client({ connectionString: this.rwUrl });
    await client.connect();
    try {
      const ids = this.commits.map((commit) => commit.id);
      const found = await client.query<{ id: string }>(
        `SELECT id FROM ${PROBE_SCHEMA}.commits WHERE id = ANY($1::bigint[])`,
        [ids],
      );
      const present = new Set(found.rows.map((row) => Number(row.id)));
      return ids.filter((id) => !present.has(id));
    } finally {
      await client.end();
    }
  }
}

export interface FailoverReport {
  readonly killedZone: Zone;
  readonly killedProcesses: number;
  readonly newLeader: Zone | undefined;
  readonly timelineBefore: number | undefined;
  readonly timelineAfter: number | undefined;
  /** From the kill to Patroni's /cluster naming a new running leader. */
  readonly leaderAfterMs: number;
  /** From the kill to the first commit acknowledged through the rw endpoint after the writer's first failure. */
  readonly firstWriteAfterMs: number;
  /** The writer's outage: last acknowledged commit before its first failure → first acknowledged commit after it. */
  readonly writeGapMs: number;
  readonly acknowledgedCommits: number;
  readonly missingCommits: number;
  readonly unknownOutcomes: number;
}

/** Kills `zone` (which should be the leader) under a steady write load and reports what followed. */
export async function drillZoneLoss(platform: Platform, zone: Zone, timeoutMs = 60_000): Promise<FailoverReport> {
  const before = await platform.status();
  const probe = new WriteProbe(platform.rwUrl);
  await probe.prepare();
  probe.start();
  try {
    await sleep(1000);
    const killedAt = Date.now();
    const victims = await platform.killZone(zone);
    const leading = await waitForCluster(
      Object.values(platform.patroniUrls),
      (status) => status.leader !== undefined && status.leader !== zone,
      timeoutMs,
      `a leader other than ${zone}`,
    );
    const leaderAt = Date.now();
    // The outage as the client saw it: from its first failed write after the kill (an acknowledgement
    // already on its way when the zone froze can still arrive just after the kill) to its next success.
    const deadline = Date.now() + timeoutMs;
    let firstFailure: number | undefined;
    let firstAfter: Commit | undefined;
    while (firstAfter === undefined) {
      if (Date.now() > deadline) throw new Error(`no write accepted within ${timeoutMs} ms of killing ${zone}`);
      await sleep(20);
      firstFailure = probe.firstFailureAfter(killedAt);
      firstAfter = firstFailure === undefined ? undefined : probe.firstCommitAfter(firstFailure);
    }
    await sleep(500);
    await probe.stop();
    const lastBefore = probe.lastCommitBefore(firstFailure ?? killedAt);
    const missing = await probe.missingCommits();
    // Patroni publishes the promoted leader's new timeline a loop or two after the promotion.
    const settled = await waitForCluster(
      Object.values(platform.patroniUrls),
      (status) => status.leader === leading.leader && (status.timeline ?? 0) > (before.timeline ?? 0),
      10_000,
      'the new timeline',
    ).catch(() => leading);
    return {
      killedZone: zone,
      killedProcesses: victims.length,
      newLeader: leading.leader,
      timelineBefore: before.timeline,
      timelineAfter: settled.timeline,
      leaderAfterMs: leaderAt - killedAt,
      firstWriteAfterMs: firstAfter.at - killedAt,
      writeGapMs: firstAfter.at - (lastBefore?.at ?? killedAt),
      acknowledgedCommits: probe.commits.length,
      missingCommits: missing.length,
      unknownOutcomes: probe.unknownOutcomes,
    };
  } finally {
    await probe.stop();
  }
}

export interface RejoinReport {
  readonly zone: Zone;
  /** From starting the zone's Patroni to its being the streaming synchronous standby again. */
  readonly rejoinMs: number;
  readonly status: ClusterStatus;
}

export async function drillRejoin(platform: Platform, zone: Zone, timeoutMs = 120_000): Promise<RejoinReport> {
  const startedAt = Date.now();
  await platform.startZone(zone);
  const status = await waitForCluster(
    Object.values(platform.patroniUrls),
    (s) => s.inSync && s.syncStandby === zone,
    timeoutMs,
    `${zone} to rejoin as synchronous standby`,
  );
  return { zone, rejoinMs: Date.now() - startedAt, status };
}
