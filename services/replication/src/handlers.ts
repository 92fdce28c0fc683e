// Replication's gRPC handlers: status, a live status stream, and planned switchovers. Platform admins only.
import { EventEmitter, on } from 'node:events';
import { enforce, listAuditEvents } from '../../common/src/audit';
import { canOperatePlatform, canReadAudit, requireAllowed } from '../../common/src/auth/policy';
import type { Database } from '../../common/src/pg/database';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '../../common/src/errors';
import type { UnaryHandlers } from '../../common/src/grpc/adapter';
import type { CallContext } from '../../common/src/grpc/context';
import {
  MemberRole,
  ReplicationServiceService,
  ReplicationStatus,
} from '../../common/src/gen/mch/replication/v1/replication';
import type { ObjectStore } from './objects/store';
import type { ReplicationObserver } from './observer';
import type { HaEngine } from './engine';

const HEARTBEAT_MS = 5_000;
const SWITCHOVER_WAIT_MS = 30_000;
const ZONES = ['az-a', 'az-b'];

function requirePlatformAdmin(ctx: CallContext): void {
  requireAllowed(ctx.principal, canOperatePlatform(ctx.principal));
}

async function currentStatus(observer: ReplicationObserver): Promise<ReplicationStatus> {
  return observer.status() ?? (await observer.poll());
}

function requireObjects(objects: ObjectStore | undefined): ObjectStore {
  if (!objects)
    throw new UnavailableError('the object store is not configured (OBJECT_STORE_AGENTS)', 'OBJECT_STORE_UNCONFIGURED');
  return objects;
}

export function replicationHandlers(
  observer: ReplicationObserver,
  engine: HaEngine,
  objects: ObjectStore | undefined,
  db: Database,
): UnaryHandlers<typeof ReplicationServiceService> {
  return {
    async getStatus(_request, ctx) {
      requirePlatformAdmin(ctx);
      return { status: await currentStatus(observer) };
    },

    async *watchStatus(_request, ctx) {
      requirePlatformAdmin(ctx);
      yield { status: await currentStatus(observer) };
      // This watcher's own feed: every change, and the current status as a heartbeat so lag stays fresh.
      const feed = new EventEmitter();
      const forward = (status: ReplicationStatus): void => void feed.emit('status', status);
      observer.changes.on('status', forward);
      const ticker = setInterval(() => {
        const status = observer.status();
        if (status) feed.emit('status', status);
      }, HEARTBEAT_MS);
      try {
        for await (const [status] of on(feed, 'status', { signal: ctx.signal }))
          yield { status: status as ReplicationStatus };
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      } finally {
        observer.changes.off('status', forward);
        clearInterval(ticker);
      }
    },

    async switchover(request, ctx) {
      requirePlatformAdmin(ctx);
      if (!ZONES.includes(request.targetZone))
        throw InvalidArgumentError.field('targetZone', `must be one of ${ZONES.join(', ')}`);
      const before = await observer.poll();
      if (before.primaryZone === request.targetZone)
        throw new FailedPreconditionError(`${request.targetZone} is already the primary`, 'ALREADY_PRIMARY');
      if (!before.primaryZone)
        throw new UnavailableError('no zone is primary now; the HA engine is electing one', 'NO_PRIMARY');
      const target = before.members.find((member) => member.zone === request.targetZone);
      if (target?.role !== MemberRole.MEMBER_ROLE_SYNC_STANDBY) {
        throw new FailedPreconditionError(
          `${request.targetZone} is not a synchronous standby (state ${target?.state ?? 'unknown'}): switching to it could lose writes`,
          'TARGET_NOT_IN_SYNC',
        );
      }
      await observer.expectSwitchover(before.primaryZone, request.targetZone, ctx.caller);
      const message = await engine.switchover(before.primaryZone, request.targetZone);
      ctx.logger.warn({ from: before.primaryZone, to: request.targetZone, by: ctx.caller }, 'switchover requested');
      const deadline = Date.now() + SWITCHOVER_WAIT_MS;
      let status = before;
      while (Date.now() < deadline && status.primaryZone !== request.targetZone) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        status = await observer.poll();
      }
      return { status, message };
    },

    putObject: (requests, ctx) => requireObjects(objects).put(requests, ctx),

    getObject: (request, ctx) => requireObjects(objects).get(request.id, ctx),

    async getObjectInfo(request, ctx) {
      return { object: await requireObjects(objects).info(request.id, ctx) };
    },

    async listAuditEvents(request, ctx) {
      const patientId = request.patientId.trim().toLowerCase();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(patientId))
        throw InvalidArgumentError.field('patientId', 'must be an id (UUID)');
      await enforce(db, ctx, canReadAudit(ctx.principal, patientId), patientId, 'audit.read');
      const pageSize = request.pageSize > 0 ? Math.min(request.pageSize, 200) : 50;
      return { events: await listAuditEvents(db, 'replication', patientId, request.before, pageSize) };
    },

    async verifyObjects(_request, ctx) {
      requirePlatformAdmin(ctx);
      return requireObjects(objects).verifyAll();
    },
  };
}
