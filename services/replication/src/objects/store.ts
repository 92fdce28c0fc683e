// The replicated object store: an upload goes to every zone's agent at once and is acknowledged when each reachable
// agent holds a verified copy (with one agent down the write continues, flagged exposed, and the repair loop copies
// it when the agent returns); a read comes from a zone whose copy verifies, falling back to the other; a periodic
// (and on-demand) scan re-hashes every copy and repairs missing or corrupt ones from the good zone.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, Gauge, Registry } from 'prom-client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { recordAudit } from '../../../common/src/audit';
import {
  DataLossError,
  InvalidArgumentError,
  isDomainError,
  NotFoundError,
  UnavailableError,
} from '../../../common/src/errors';
import { isServiceError, type ClientStreamCall } from '../../../common/src/grpc/client';
import type { CallContext } from '../../../common/src/grpc/context';
import {
  GetObjectResponse,
  ObjectMetadata,
  ObjectStoreStatus,
  PutObjectRequest,
  PutObjectResponse,
  StoredObject,
  VerifyObjectsResponse,
} from '../../../common/src/gen/mch/replication/v1/replication';
import type { PutBlobRequest, PutBlobResponse } from '../../../common/src/gen/mch/replication/v1/store_agent';
import { runIdempotent, scopeFromContext } from '../../../common/src/idempotency';
import type { Logger } from '../../../common/src/logger';
import type { Database } from '../../../common/src/pg/database';
import { checkUpload, overLimit, SHA256_HEX, UploadRules } from '../domain/objects';
import type { ObjectAccess } from './access';
import type { StoreAgents } from './agents';
import { CopyState, LeaseName, ObjectRepository } from './repository';

export interface ObjectStoreOptions {
  readonly rules: UploadRules;
  /** 'available': a write continues with one zone (exposed); 'strict': it fails unless every zone stores it. */
  readonly durability: string;
  readonly repairIntervalMs: number;
  readonly scanIntervalMs: number;
  /** Deadline of one agent transfer (an upload or download of the largest object). */
  readonly transferTimeoutMs: number;
  /**
   * How long one agent may take to accept the next piece, store the blob at the end, or send its first byte before
   * it is treated as down: a hung zone (frozen, partitioned) must not hold every upload and read hostage.
   */
  readonly stallTimeoutMs: number;
  /**
   * A blob no object names (its upload's metadata never committed) older than this is moved to the agent's
   * quarantine by the scan; younger ones may belong to an upload still committing.
   */
  readonly orphanAgeMs: number;
}

const REPAIR_BATCH = 50;
const CONNECT_WAIT_MS = 1_000;
const SCAN_PAGE = 200;

function requireObjectId(id: string): string {
  const normalised = id.trim().toLowerCase();
  if (!SHA256_HEX.test(normalised))
    throw InvalidArgumentError.field('id', 'must be an object id (the SHA-256 of its bytes, 64 hex digits)');
  return normalised;
}

/** Settles like `work`, or rejects once `ms` pass first. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no progress within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function codeOf(error: unknown): number | undefined {
  return isServiceError(error) ? error.code : undefined;
}

interface ZoneUpload {
  readonly zone: string;
  call: ClientStreamCall<PutBlobRequest, PutBlobResponse> | undefined;
  failure: string | undefined;
}

export class ObjectStore {
  private readonly repository: ObjectRepository;
  /** This replica, as the holder of a background pass's lease. */
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly reachable = new Map<string, boolean>();
  private current: ObjectStoreStatus;
  private repairTimer: NodeJS.Timeout | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  private repairing: Promise<number> | undefined;
  private scanning: Promise<VerifyObjectsResponse> | undefined;
  private readonly exposedGauge: Gauge;
  private readonly reachableGauge: Gauge<'zone'>;
  private readonly repairs: Counter<'zone'>;

  constructor(
    private readonly db: Database,
    private readonly agents: StoreAgents,
    private readonly access: ObjectAccess,
    private readonly options: ObjectStoreOptions,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    this.repository = new ObjectRepository(db, agents.zones);
    this.current = {
      zones: agents.zones.map((zone) => ({ zone, reachable: false, missingCopies: '0' })),
      objects: '0',
      exposedObjects: '0',
      exposed: false,
      lastScanAt: undefined,
      lastScanChecked: '0',
      lastScanRepaired: '0',
    };
    this.exposedGauge = new Gauge({
      name: 'mch_object_store_exposed_objects',
      help: 'Objects with a verified copy in one zone only (waiting for repair).',
      registers: [metrics],
    });
    this.reachableGauge = new Gauge({
      name: 'mch_object_store_zone_reachable',
      help: "1 while the zone's store agent answers.",
      labelNames: ['zone'] as const,
      registers: [metrics],
    });
    this.repairs = new Counter({
      name: 'mch_object_store_repairs_total',
      help: 'Copies written to a zone by the repair loop.',
      labelNames: ['zone'] as const,
      registers: [metrics],
    });
  }

  async start(): Promise<void> {
    await this.refreshStatus();
    // With several replicas, the scheduled passes run in one of them at a time: the holder of the pass's lease,
    // renewed at each of its ticks and long enough to outlast one interval (a dead holder's runs out).
    this.repairTimer = setInterval(
      () => void this.scheduled('repair', this.options.repairIntervalMs, () => this.repairNow()),
      this.options.repairIntervalMs,
    );
    this.repairTimer.unref();
    this.scanTimer = setInterval(
      () => void this.scheduled('scan', this.options.scanIntervalMs, () => this.verifyAll()),
      this.options.scanIntervalMs,
    );
    this.scanTimer.unref();
  }

  private async scheduled(name: LeaseName, intervalMs: number, pass: () => Promise<unknown>): Promise<void> {
    try {
      if (!(await this.repository.takeLease(name, this.holder, intervalMs * 1.5))) return;
      await pass();
    } catch (error) {
      this.logger.warn({ err: error }, `scheduled object ${name} failed`);
    }
  }

  stop(): void {
    clearInterval(this.repairTimer);
    clearInterval(this.scanTimer);
  }

  status(): ObjectStoreStatus {
    return this.current;
  }

  // ---- writes ----

  async put(requests: AsyncIterable<PutObjectRequest>, ctx: CallContext): Promise<PutObjectResponse> {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    const metadata: ObjectMetadata | undefined = first.done ? undefined : first.value.metadata;
    if (!metadata)
      throw InvalidArgumentError.field(
        'metadata',
        'the first message must carry the metadata (content type, size, reference)',
      );
    const upload = checkUpload({ ...metadata, size: Number(metadata.size) }, this.options.rules);
    await this.access.allowAttach(ctx, upload.reference);

    const zones: ZoneUpload[] = await Promise.all(
      this.agents.zones.map(async (zone): Promise<ZoneUpload> => {
        try {
          // An agent known to be down (the repair loop's ping says when it answers again) costs the upload nothing;
          // one believed up gets a moment to (re)connect.
          if (this.reachable.get(zone) === false) throw new Error(`the store agent of ${zone} is down`);
          if (!(await this.agents.ready(zone, CONNECT_WAIT_MS)))
            throw new Error(`the store agent of ${zone} is not connected`);
          return {
            zone,
            call: await this.agents.openPut(
              zone,
              { sha256: upload.sha256 ?? '', size: upload.size },
              { parent: ctx, timeoutMs: this.options.transferTimeoutMs },
            ),
            failure: undefined,
          };
        } catch (error) {
          this.reachable.set(zone, false);
          return { zone, call: undefined, failure: (error as Error).message };
        }
      }),
    );
    const live = (): ZoneUpload[] => zones.filter((zone) => zone.call !== undefined);
    const drop = (zone: ZoneUpload, error: unknown): void => {
      zone.call?.cancel();
      zone.call = undefined;
      zone.failure = (error as Error).message;
      // The caller going away cancels the agents' streams too: that says nothing about the agents.
      if (ctx.signal.aborted || codeOf(error) === GrpcStatus.CANCELLED) return;
      // An agent that stalls or cannot be reached is skipped by the next uploads until the repair loop's ping answers.
      if (
        !isServiceError(error) ||
        codeOf(error) === GrpcStatus.UNAVAILABLE ||
        codeOf(error) === GrpcStatus.DEADLINE_EXCEEDED
      )
        this.reachable.set(zone.zone, false);
      this.logger.warn(
        { zone: zone.zone, err: error },
        'store agent failed during an upload; continuing with the other zone',
      );
    };
    const requireEnough = (): void => {
      const survivors = live().length;
      if (survivors === 0)
        throw new UnavailableError("no zone's object store agent is reachable", 'OBJECT_STORE_UNAVAILABLE');
      if (this.options.durability === 'strict' && survivors < zones.length) {
        throw new UnavailableError(
          `zone ${zones
            .filter((zone) => !zone.call)
            .map((zone) => zone.zone)
            .join(', ')} cannot store the object and durability is strict`,
          'OBJECT_STORE_EXPOSED',
        );
      }
    };

    let stored: Array<{ zone: string; answer: PutBlobResponse }>;
    let id = '';
    const hash = createHash('sha256');
    let received = 0;
    try {
      requireEnough();
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        if (ctx.signal.aborted) throw new UnavailableError('the upload was cancelled by the caller', 'CANCELLED');
        if (next.value.metadata)
          throw InvalidArgumentError.field('metadata', 'only the first message carries the metadata');
        const chunk = next.value.chunk;
        if (!chunk || chunk.length === 0) continue;
        received += chunk.length;
        const tooMuch = overLimit(received, upload.size, this.options.rules.maxBytes);
        if (tooMuch) throw InvalidArgumentError.field('size', tooMuch);
        hash.update(chunk);
        await Promise.all(
          live().map((zone) =>
            within(
              (zone.call as ClientStreamCall<PutBlobRequest, PutBlobResponse>).write({ chunk }),
              this.options.stallTimeoutMs,
              `store agent ${zone.zone}`,
            ).catch((error: unknown) => drop(zone, error)),
          ),
        );
        requireEnough();
      }
      if (received === 0) throw InvalidArgumentError.field('size', 'an object must hold at least one byte');
      if (upload.size > 0 && received !== upload.size)
        throw InvalidArgumentError.field('size', `${received} bytes received, ${upload.size} declared`);
      id = hash.digest('hex');
      if (upload.sha256 && upload.sha256 !== id)
        throw InvalidArgumentError.field('sha256', 'the bytes received do not hash to the declared SHA-256');
      const answers = await Promise.all(
        live().map(async (zone) => {
          try {
            return {
              zone: zone.zone,
              answer: await within(
                (zone.call as ClientStreamCall<PutBlobRequest, PutBlobResponse>).end(),
                this.options.stallTimeoutMs,
                `store agent ${zone.zone}`,
              ),
            };
          } catch (error) {
            drop(zone, error);
            return undefined;
          }
        }),
      );
      stored = answers.filter(
        (answer): answer is { zone: string; answer: PutBlobResponse } =>
          answer !== undefined && answer.answer.sha256 === id,
      );
      requireEnough();
      if (stored.length === 0) throw new UnavailableError('no zone stored the object', 'OBJECT_STORE_UNAVAILABLE');
    } catch (error) {
      // Nothing is kept: every agent still streaming is cancelled and removes its temporary file.
      for (const zone of zones) zone.call?.cancel();
      throw error;
    }

    const storedIn = stored.map((entry) => entry.zone);
    const requestBytes = Buffer.concat([Buffer.from(ObjectMetadata.encode(metadata).finish()), Buffer.from(id, 'hex')]);
    const response = await runIdempotent(
      this.db,
      scopeFromContext(ctx),
      requestBytes,
      PutObjectResponse,
      async (tx) => {
        const record = await this.repository.recordUpload(tx, {
          id,
          size: received,
          contentType: upload.contentType,
          uploadedBy: ctx.caller,
          reference: upload.reference,
          storedIn,
        });
        if (upload.reference.kind === 'patient')
          await recordAudit(tx, ctx, {
            patientId: upload.reference.id,
            action: 'object.put',
            outcome: 'allowed',
            reason: `object ${id}`,
          });
        return { object: record.object };
      },
    );
    if (response.object?.exposed) {
      this.logger.error(
        {
          alarm: 'OBJECT_EXPOSURE',
          object: id,
          zones: response.object.zones,
          missing: zones
            .filter((zone) => !storedIn.includes(zone.zone))
            .map((zone) => `${zone.zone}: ${zone.failure ?? 'not stored'}`),
        },
        'OBJECT EXPOSURE: an acknowledged object is held in one zone only until the repair loop copies it',
      );
      await this.refreshStatus();
    }
    return response;
  }

  // ---- reads ----

  async info(rawId: string, ctx: CallContext): Promise<StoredObject> {
    const record = await this.authorisedRecord(requireObjectId(rawId), ctx, 'object.info');
    return record.object;
  }

  /** The object's metadata, then its bytes, from the first zone whose copy verifies. */
  async *get(rawId: string, ctx: CallContext): AsyncIterable<GetObjectResponse> {
    const id = requireObjectId(rawId);
    const record = await this.authorisedRecord(id, ctx, 'object.read');
    // Verified copies first, and zones whose agent answers before those known to be down.
    const rank = (zone: string): number =>
      (record.object.zones.includes(zone) ? 0 : 2) + (this.reachable.get(zone) === false ? 1 : 0);
    const order = [...this.agents.zones].sort((a, b) => rank(a) - rank(b));
    let lastError: unknown;
    for (const zone of order) {
      const stream = await this.agents.get(zone, id, { parent: ctx, timeoutMs: this.options.transferTimeoutMs });
      const iterator = (stream as AsyncIterable<{ chunk: Buffer }>)[Symbol.asyncIterator]();
      let first: IteratorResult<{ chunk: Buffer }>;
      try {
        // The agent re-hashes its copy before the first chunk: a corrupt or missing copy fails here, before any byte.
        first = await within(iterator.next(), this.options.stallTimeoutMs, `store agent ${zone}`);
      } catch (error) {
        lastError = error;
        stream.cancel();
        const code = codeOf(error);
        if (code === GrpcStatus.NOT_FOUND || code === GrpcStatus.DATA_LOSS)
          await this.markCopy(id, zone, code === GrpcStatus.DATA_LOSS ? 'corrupt' : 'missing');
        this.logger.warn({ object: id, zone, code }, 'zone could not serve a verified copy; trying the other');
        continue;
      }
      yield { object: record.object, chunk: Buffer.alloc(0) };
      const hash = createHash('sha256');
      try {
        for (let next = first; !next.done; next = await iterator.next()) {
          if (ctx.signal.aborted) {
            stream.cancel();
            return;
          }
          hash.update(next.value.chunk);
          yield { object: undefined, chunk: next.value.chunk };
        }
      } catch (error) {
        if (ctx.signal.aborted) return;
        throw new UnavailableError(`zone ${zone} stopped in the middle of the object`, 'OBJECT_TRANSFER_INTERRUPTED');
      }
      if (hash.digest('hex') !== id) {
        await this.markCopy(id, zone, 'corrupt');
        throw new DataLossError(`the copy in ${zone} changed while it was read`, 'OBJECT_CORRUPT');
      }
      return;
    }
    if (isDomainError(lastError)) throw lastError;
    throw new UnavailableError('no zone holds a readable copy of this object now', 'OBJECT_UNAVAILABLE');
  }

  private async authorisedRecord(id: string, ctx: CallContext, action: string) {
    const record = await this.repository.find(id);
    if (!record) throw new NotFoundError('no such object', 'OBJECT_NOT_FOUND');
    const patients = await this.access.allowRead(ctx, record.references);
    for (const patient of patients) {
      await recordAudit(this.db, ctx, { patientId: patient.id, action, outcome: 'allowed', reason: `object ${id}` });
    }
    return record;
  }

  // ---- durability ----

  private async markCopy(id: string, zone: string, state: CopyState): Promise<void> {
    await this.repository
      .setCopy(this.db.rw, id, zone, state)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not record a copy state'));
    this.logger.error(
      { alarm: 'OBJECT_EXPOSURE', object: id, zone, state },
      `object copy ${state} in ${zone}: repairing from the other zone`,
    );
    void this.repairNow();
  }

  /** One pass of the repair loop (never two at once); returns the copies repaired. */
  repairNow(): Promise<number> {
    this.repairing ??= this.repairPass()
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'repair pass failed');
        return 0;
      })
      .finally(() => (this.repairing = undefined));
    return this.repairing;
  }

  /** A pass that starts after any pass in flight (which may have read its work list before the scan's findings). */
  private async freshRepairPass(): Promise<number> {
    while (this.repairing) await this.repairing;
    return this.repairNow();
  }

  private async repairPass(): Promise<number> {
    for (const zone of this.agents.zones) this.reachable.set(zone, await this.agents.reachable(zone));
    let repaired = 0;
    const reachableZones = this.agents.zones.filter((zone) => this.reachable.get(zone));
    for (const copy of await this.repository.unverifiedCopies(reachableZones, REPAIR_BATCH)) {
      if (await this.repairCopy(copy.id, copy.zone, copy.state, Number(copy.size))) repaired++;
    }
    await this.refreshStatus();
    return repaired;
  }

  /** Copies an object into `zone` from a zone whose copy verifies. */
  private async repairCopy(id: string, zone: string, state: CopyState, size: number): Promise<boolean> {
    const sources = (await this.repository.zonesWithVerifiedCopy(id)).filter(
      (source) => source !== zone && this.reachable.get(source) !== false,
    );
    // The destination may hold it already (written before a crash, or a false alarm): a verify settles that.
    const there = await this.agents.check(zone, id, true).catch(() => undefined);
    if (there?.verified) {
      await this.repository.setCopy(this.db.rw, id, zone, 'verified');
      return true;
    }
    if (there?.corrupt) await this.agents.quarantine(zone, id).catch(() => undefined);
    if (sources.length === 0) {
      this.logger.error(
        { alarm: 'OBJECT_UNREPAIRABLE', object: id, zone },
        'no reachable zone holds a verified copy to repair from',
      );
      return false;
    }
    for (const source of sources) {
      try {
        const upload = await this.agents.openPut(
          zone,
          { sha256: id, size },
          { timeoutMs: this.options.transferTimeoutMs },
        );
        try {
          for await (const message of (await this.agents.get(source, id, {
            timeoutMs: this.options.transferTimeoutMs,
          })) as AsyncIterable<{ chunk: Buffer }>) {
            await upload.write({ chunk: message.chunk });
          }
        } catch (error) {
          upload.cancel();
          if (codeOf(error) === GrpcStatus.DATA_LOSS || codeOf(error) === GrpcStatus.NOT_FOUND) {
            await this.repository.setCopy(
              this.db.rw,
              id,
              source,
              codeOf(error) === GrpcStatus.DATA_LOSS ? 'corrupt' : 'missing',
            );
          }
          throw error;
        }
        await upload.end();
        await this.repository.setCopy(this.db.rw, id, zone, 'verified');
        this.repairs.inc({ zone });
        this.logger.info({ object: id, from: source, to: zone, was: state }, 'object copy repaired');
        return true;
      } catch (error) {
        this.logger.warn({ object: id, from: source, to: zone, err: error }, 'object repair attempt failed');
      }
    }
    return false;
  }

  /** Re-hashes every copy in every reachable zone, records what it found, and repairs. One scan at a time. */
  verifyAll(): Promise<VerifyObjectsResponse> {
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scan(): Promise<VerifyObjectsResponse> {
    const startedAt = new Date();
    for (const zone of this.agents.zones) this.reachable.set(zone, await this.agents.reachable(zone));
    let checked = 0;
    let missing = 0;
    let corrupt = 0;
    for (let after = ''; ;) {
      const page = await this.repository.page(after, SCAN_PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1]?.id ?? after;
      for (const object of page) {
        checked++;
        for (const zone of this.agents.zones) {
          if (!this.reachable.get(zone)) continue;
          const check = await this.agents.check(zone, object.id, true).catch(() => undefined);
          if (!check) continue;
          const state: CopyState = check.verified ? 'verified' : check.corrupt ? 'corrupt' : 'missing';
          if (state === 'missing') missing++;
          if (state === 'corrupt') corrupt++;
          await this.repository.setCopy(this.db.rw, object.id, zone, state);
          if (state !== 'verified')
            this.logger.error(
              { alarm: 'OBJECT_EXPOSURE', object: object.id, zone, state },
              `scan found the copy in ${zone} ${state}`,
            );
        }
      }
    }
    let repaired = 0;
    for (;;) {
      const pass = await this.freshRepairPass();
      repaired += pass;
      if (pass === 0) break;
    }
    const orphans = await this.sweepOrphans();
    await this.repository.recordScan({ startedAt, checked, missing, corrupt, repaired });
    await this.refreshStatus();
    const stillExposed = this.current.zones.reduce((total, zone) => total + Number(zone.missingCopies), 0);
    this.logger.info({ checked, missing, corrupt, repaired, stillExposed, ...orphans }, 'object scan finished');
    return {
      checked: String(checked),
      missing: String(missing),
      corrupt: String(corrupt),
      repaired: String(repaired),
      stillExposed: String(stillExposed),
      objectStore: this.current,
      orphans: String(orphans.orphans),
      orphansQuarantined: String(orphans.quarantined),
    };
  }

  /** Blobs no object names, in every reachable zone; those older than the orphan age are set aside. */
  private async sweepOrphans(): Promise<{ orphans: number; quarantined: number }> {
    let orphans = 0;
    let quarantined = 0;
    for (const zone of this.agents.zones) {
      if (!this.reachable.get(zone)) continue;
      for (let after = ''; ;) {
        const names = await this.agents.list(zone, after, SCAN_PAGE).catch(() => [] as string[]);
        if (names.length === 0) break;
        after = names[names.length - 1] ?? after;
        const known = await this.repository.existing(names);
        for (const name of names.filter((candidate) => !known.has(candidate))) {
          orphans++;
          const copy = await this.agents.check(zone, name, false).catch(() => undefined);
          const age = copy?.modifiedAt ? Date.now() - copy.modifiedAt.getTime() : 0;
          if (age > this.options.orphanAgeMs && (await this.agents.quarantine(zone, name).catch(() => false))) {
            quarantined++;
            this.logger.warn({ zone, blob: name, ageMs: age }, 'orphan blob (no object names it) moved to quarantine');
          }
        }
      }
    }
    return { orphans, quarantined };
  }

  async refreshStatus(): Promise<void> {
    try {
      for (const zone of this.agents.zones)
        if (!this.reachable.has(zone)) this.reachable.set(zone, await this.agents.reachable(zone));
      const counts = await this.repository.counts();
      const scan = await this.repository.lastScan();
      const wasExposed = this.current.exposed;
      this.current = {
        zones: this.agents.zones.map((zone) => ({
          zone,
          reachable: this.reachable.get(zone) ?? false,
          missingCopies: String(counts.missingByZone.get(zone) ?? 0),
        })),
        objects: String(counts.objects),
        exposedObjects: String(counts.exposed),
        exposed: counts.exposed > 0,
        lastScanAt: scan?.finishedAt,
        lastScanChecked: String(scan?.checked ?? 0),
        lastScanRepaired: String(scan?.repaired ?? 0),
      };
      this.exposedGauge.set(counts.exposed);
      for (const zone of this.agents.zones) this.reachableGauge.set({ zone }, this.reachable.get(zone) ? 1 : 0);
      if (wasExposed && !this.current.exposed)
        this.logger.info('object store: every object has a verified copy in every zone again');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not refresh the object store status');
    }
  }
}
