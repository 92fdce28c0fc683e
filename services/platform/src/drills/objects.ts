// The drills' object writers and their ledger: uploads of random images through the gateway under idempotency keys
// (retried until a definitive answer, as a client following the rules does), reads of acknowledged objects
// compared byte for byte, and the check that every acknowledged object is, once the lost zone is back and
// repaired, readable and held byte-identical by both zones' agents and named in both zones' databases.
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Zone } from '../patroni';
import type { Platform } from '../platform';
import { sleep } from '../proc';
import { describeOutcome, keepAliveAgent, send } from './http';
import { backoffMs, isDefinitive, StaffSessions, type ClientPolicy } from './load';

const WRITER = 'lufeng.midwife';
const READER = 'pref.clinician';
const ADMIN = 'platform.admin';
const MIN_BYTES = 32 * 1024;
const MAX_BYTES = 256 * 1024;

export interface ObjectLedgerEntry {
  readonly sha256: string;
  readonly size: number;
  readonly outcome: 'acknowledged' | 'refused' | 'unknown';
  /** Zones the acknowledgement named as holding a verified copy. */
  readonly zonesAtAck: readonly string[];
  readonly attempts: number;
  readonly finishedAtMs: number;
}

export interface ObjectLedgerSummary {
  readonly acknowledged: number;
  /** Acknowledged while one zone's agent was down (held in one zone until repaired). */
  readonly acknowledgedExposed: number;
  readonly refused: number;
  readonly unknown: number;
  /** Acknowledged objects read back through the gateway byte-identical after the repair. */
  readonly readable: number;
  /** Acknowledged objects whose copy in each zone's agent hashes to the id. */
  readonly inBothZones: number;
  /** Acknowledged objects named in the replication schema on each zone's database. */
  readonly metadataOnBothZones: number;
  /** Acknowledged objects missing, unreadable or differing anywhere: must be 0. */
  readonly lost: number;
  readonly lostExamples: readonly string[];
  /** The zone back in sync → the object store reports no exposure (the repair loop copied what the agent missed). */
  readonly repairedAfterRejoinMs: number | undefined;
  readonly reads: { readonly ok: number; readonly failed: number; readonly mismatched: number };
}

/** A few writers uploading objects for one patient, and reading back what was acknowledged. */
export class ObjectLoad {
  readonly entries: ObjectLedgerEntry[] = [];
  readonly reads = { ok: 0, failed: 0, mismatched: 0 };
  readonly answers = new Map<string, number>();
  private readonly agent = keepAliveAgent(16);
  private readonly sessions: StaffSessions;
  private readonly bytesOf = new Map<string, Buffer>();
  private running = false;
  private loops: Promise<void>[] = [];
  private patientId = '';

  constructor(
    private readonly gatewayUrl: string,
    private readonly writers: number,
    private readonly policy: ClientPolicy,
  ) {
    this.sessions = new StaffSessions(gatewayUrl, this.agent, policy);
  }

  /** Registers the patient the objects belong to. */
  async prepare(): Promise<void> {
    const token = await this.sessions.token(WRITER);
    for (let retry = 1; ; retry++) {
      const outcome = await send(this.agent, {
        method: 'POST',
        url: `${this.gatewayUrl}/v1/patients`,
        headers: {
          authorization: `Bearer ${token}`,
          'x-mch-purpose': 'registration',
          'idempotency-key': `drill-objects-patient-${randomUUID()}`,
        },
        body: { name: '演练影像', countyCode: 'lufeng', birthDate: '1994-06-01', sex: 'SEX_FEMALE' },
        timeoutMs: this.policy.requestTimeoutMs,
      });
      if (outcome.kind === 'answer' && outcome.status === 200) {
        this.patientId = (JSON.parse(outcome.body) as { patient: { id: string } }).patient.id;
        return;
      }
      if (retry >= 10)
        throw new Error(
          `could not register the drill's patient: ${outcome.kind === 'answer' ? `${outcome.status} ${outcome.body}` : describeOutcome(outcome)}`,
        );
      await sleep(backoffMs(this.policy, retry));
    }
  }

  start(): void {
    this.running = true;
    for (let writer = 0; writer < this.writers; writer++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  close(): void {
    this.agent.destroy();
  }

  acknowledged(): ObjectLedgerEntry[] {
    return this.entries.filter((entry) => entry.outcome === 'acknowledged');
  }

  bytes(sha256: string): Buffer | undefined {
    return this.bytesOf.get(sha256);
  }

  private count(label: string): void {
    this.answers.set(label, (this.answers.get(label) ?? 0) + 1);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      await this.uploadOne();
      const acked = this.acknowledged();
      const pick = acked[randomInt(0, Math.max(1, acked.length))];
      if (pick) await this.readBack(pick);
    }
  }

  private async uploadOne(): Promise<void> {
    const bytes = randomBytes(randomInt(MIN_BYTES, MAX_BYTES));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `drill-object-${randomUUID()}`;
    const deadline = Date.now() + this.policy.retryBudgetMs;
    for (let attempt = 1; ; attempt++) {
      const token = await this.sessions.token(WRITER).catch(() => undefined);
      const outcome = token
        ? await send(this.agent, {
            method: 'POST',
            url: `${this.gatewayUrl}/v1/objects?reference=patient:${this.patientId}`,
            headers: { authorization: `Bearer ${token}`, 'x-mch-purpose': 'treatment', 'idempotency-key': key },
            raw: { bytes, contentType: 'image/jpeg' },
            timeoutMs: this.policy.requestTimeoutMs,
          })
        : ({ kind: 'network', error: 'no session', ms: 0 } as const);
      this.count(describeOutcome(outcome));
      if (outcome.kind === 'answer' && outcome.status === 401 && token) this.sessions.invalidate(WRITER, token);
      if (isDefinitive(outcome)) {
        const acknowledged = outcome.status === 201;
        const zones = acknowledged
          ? ((JSON.parse(outcome.body) as { object: { zones?: string[] } }).object.zones ?? [])
          : [];
        if (acknowledged) this.bytesOf.set(sha256, bytes);
        this.entries.push({
          sha256,
          size: bytes.length,
          outcome: acknowledged ? 'acknowledged' : 'refused',
          zonesAtAck: zones,
          attempts: attempt,
          finishedAtMs: Date.now(),
        });
        return;
      }
      if (Date.now() > deadline) {
        this.entries.push({
          sha256,
          size: bytes.length,
          outcome: 'unknown',
          zonesAtAck: [],
          attempts: attempt,
          finishedAtMs: Date.now(),
        });
        return;
      }
      await sleep(backoffMs(this.policy, attempt));
    }
  }

  private async readBack(entry: ObjectLedgerEntry): Promise<void> {
    const token = await this.sessions.token(READER).catch(() => undefined);
    if (!token) return;
    const outcome = await send(this.agent, {
      method: 'GET',
      url: `${this.gatewayUrl}/v1/objects/${entry.sha256}`,
      headers: { authorization: `Bearer ${token}`, 'x-mch-purpose': 'treatment' },
      timeoutMs: this.policy.requestTimeoutMs,
    });
    if (outcome.kind !== 'answer' || outcome.status !== 200) this.reads.failed++;
    else if (!outcome.bytes?.equals(this.bytesOf.get(entry.sha256) ?? Buffer.alloc(0))) this.reads.mismatched++;
    else this.reads.ok++;
  }

  /** Waits until the object store reports every object in both zones and both agents reachable. */
  async waitUntilRepaired(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const token = await this.sessions.token(ADMIN).catch(() => undefined);
      if (token) {
        const outcome = await send(this.agent, {
          method: 'GET',
          url: `${this.gatewayUrl}/v1/replication/status`,
          headers: { authorization: `Bearer ${token}` },
          timeoutMs: 5_000,
        });
        if (outcome.kind === 'answer' && outcome.status === 200) {
          const store = (
            JSON.parse(outcome.body) as {
              status: { objectStore?: { exposed?: boolean; zones?: { reachable?: boolean }[] } };
            }
          ).status.objectStore;
          if (store && !store.exposed && (store.zones ?? []).every((zone) => zone.reachable)) return true;
        }
      }
      await sleep(500);
    }
    return false;
  }

  /** The ledger check: every acknowledged object readable, byte-identical in both agents, named in both databases. */
  async check(platform: Platform, repairedAfterRejoinMs: number | undefined): Promise<ObjectLedgerSummary> {
    const acked = this.acknowledged();
    const ids = acked.map((entry) => entry.sha256);
    const metadata = new Map<Zone, Set<string>>();
    for (const zone of ['az-a', 'az-b'] as const) {
      const client = new Client({ connectionString: platform.zoneDatabaseUrl(zone) });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string }>('SELECT id FROM replication.objects WHERE id = ANY($1)', [
          ids,
        ]);
        metadata.set(zone, new Set(rows.map((row) => row.id)));
      } finally {
        await client.end();
      }
    }
    let readable = 0;
    let inBothZones = 0;
    let metadataOnBothZones = 0;
    let lost = 0;
    const lostExamples: string[] = [];
    const token = await this.sessions.token(READER);
    for (const entry of acked) {
      const expected = this.bytesOf.get(entry.sha256) as Buffer;
      const outcome = await send(this.agent, {
        method: 'GET',
        url: `${this.gatewayUrl}/v1/objects/${entry.sha256}`,
        headers: { authorization: `Bearer ${token}`, 'x-mch-purpose': 'treatment' },
        timeoutMs: this.policy.requestTimeoutMs,
      });
      const read = outcome.kind === 'answer' && outcome.status === 200 && outcome.bytes?.equals(expected) === true;
      const copies = (['az-a', 'az-b'] as const).every((zone) => {
        const dir = platform.objectStores[zone]?.dir;
        const file = dir === undefined ? '' : join(dir, 'blobs', entry.sha256.slice(0, 2), entry.sha256);
        return existsSync(file) && readFileSync(file).equals(expected);
      });
      const named = (['az-a', 'az-b'] as const).every((zone) => metadata.get(zone)?.has(entry.sha256));
      if (read) readable++;
      if (copies) inBothZones++;
      if (named) metadataOnBothZones++;
      if (!read || !copies || !named) lost++;
      if ((!read || !copies || !named) && lostExamples.length < 5)
        lostExamples.push(`${entry.sha256.slice(0, 12)}… read ${read}, both agents ${copies}, both databases ${named}`);
    }
    return {
      acknowledged: acked.length,
      acknowledgedExposed: acked.filter((entry) => entry.zonesAtAck.length < 2).length,
      refused: this.entries.filter((entry) => entry.outcome === 'refused').length,
      unknown: this.entries.filter((entry) => entry.outcome === 'unknown').length,
      readable,
      inBothZones,
      metadataOnBothZones,
      lost,
      lostExamples,
      repairedAfterRejoinMs,
      reads: { ...this.reads },
    };
  }
}

export function describeObjectLedger(summary: ObjectLedgerSummary): string {
  return [
    `objects: ${summary.acknowledged} acknowledged (${summary.acknowledgedExposed} while one zone's agent was down), ${summary.refused} refused, ${summary.unknown} unknown`,
    `  after the repair: ${summary.readable} read back byte-identical, ${summary.inBothZones} byte-identical in both zones' agents, ${summary.metadataOnBothZones} named in both zones' databases — LOST ${summary.lost}${summary.lostExamples.length > 0 ? ` (${summary.lostExamples.join('; ')})` : ''}`,
    `  object store without exposure ${summary.repairedAfterRejoinMs === undefined ? 'NOT within 120 s' : `${summary.repairedAfterRejoinMs} ms after the zone was back in sync`}`,
    `  reads during the drill: ${summary.reads.ok} byte-identical, ${summary.reads.failed} failed (no answer or not 200), ${summary.reads.mismatched} DIFFERENT bytes`,
  ].join('\n');
}
