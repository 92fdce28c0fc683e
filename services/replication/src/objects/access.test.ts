// Who may read an object follows what references it: a patient reference by the shared policy, a consultation
// reference by asking the consultation service (here a stand-in behind the same interface) as the caller.
import type { Principal } from '../../../common/src/auth/principal';
import { NotFoundError, PermissionDeniedError, UnauthenticatedError } from '../../../common/src/errors';
import type { CallContext } from '../../../common/src/grpc/context';
import { createLogger } from '../../../common/src/logger';
import type { Database } from '../../../common/src/pg/database';
import { ConsultationAccess, ObjectAccess, ThreadAccess } from './access';

const audited: string[] = [];
const audit = async (_sql: string, values: unknown[]): Promise<void> =>
  void audited.push(`${String(values[5])} ${String(values[7])}`);
// Audit rows are written through the database's committed write (Database.executeCommitted) or a pool's query.
const db = { rw: { query: audit }, executeCommitted: audit } as unknown as Database;
const patient = { kind: 'patient' as const, id: '3f2a6c1e-8b4d-4e1a-9c2b-7d5e6f708192' };

function context(principal: Principal | undefined, purpose?: 'treatment'): CallContext {
  return {
    principal,
    purpose,
    logger: createLogger('test', 'silent'),
    requestId: 'r',
    caller: principal?.subject ?? 'anonymous',
  } as unknown as CallContext;
}

const clinician = {
  kind: 'staff',
  subject: 'u1',
  roles: ['clinician'],
  institutionId: 'i1',
  childPatientIds: [],
} as unknown as Principal;
const analyst = {
  kind: 'staff',
  subject: 'u2',
  roles: ['analyst'],
  institutionId: 'i1',
  childPatientIds: [],
} as unknown as Principal;

function threads(answers: Record<string, ThreadAccess>): ConsultationAccess {
  return { check: async (_ctx, id) => answers[id] ?? 'not-found' };
}

describe('reading an object', () => {
  beforeEach(() => audited.splice(0));

  it('follows the patient it belongs to, auditing refusals', async () => {
    const access = new ObjectAccess(db, threads({}));
    await expect(access.allowRead(context(clinician, 'treatment'), [patient])).resolves.toEqual([patient]);
    await expect(access.allowRead(context(analyst, 'treatment'), [patient])).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    await expect(access.allowRead(context(clinician), [patient])).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(access.allowRead(context(undefined), [patient])).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(audited).toEqual(['object.read denied', 'object.read denied', 'object.read denied']);
  });

  it('follows the consultation thread it is attached to, as the consultation service answers for the caller', async () => {
    const access = new ObjectAccess(db, threads({ open: 'allowed', closed: 'denied' }));
    await expect(access.allowRead(context(analyst), [{ kind: 'consultation', id: 'open' }])).resolves.toEqual([]);
    await expect(access.allowRead(context(analyst), [{ kind: 'consultation', id: 'closed' }])).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    await expect(access.allowRead(context(analyst), [{ kind: 'consultation', id: 'unknown' }])).rejects.toBeInstanceOf(
      NotFoundError,
    );
    // Any reference that allows is enough.
    await expect(access.allowRead(context(analyst), [patient, { kind: 'consultation', id: 'open' }])).resolves.toEqual(
      [],
    );
    await expect(access.allowAttach(context(analyst), { kind: 'consultation', id: 'closed' })).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    await expect(access.allowAttach(context(analyst), { kind: 'consultation', id: 'open' })).resolves.toBeUndefined();
  });
});
