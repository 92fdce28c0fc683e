// Staff accounts of an institution: created, listed and deactivated by that institution's admins.
import { canManageInstitution, requireAllowed } from '../../common/src/auth/policy';
import { InvalidArgumentError, NotFoundError } from '../../common/src/errors';
import type { CallContext } from '../../common/src/grpc/context';
import { runIdempotent, scopeFromContext } from '../../common/src/idempotency';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import type { Database } from '../../common/src/pg/database';
import {
  Account,
  CreateStaffRequest,
  CreateStaffResponse,
  DeactivateStaffRequest,
  DeactivateStaffResponse,
  ListStaffRequest,
} from '../../common/src/gen/mch/identity/v1/identity';
import type { AccountsRepository } from './accounts-repository';
import { checkNewStaff } from './domain/accounts';
import { isUuid } from './domain/ids';
import { hashPassword } from './passwords';
import type { IdentityRepository } from './repository';
import { toAccount } from './views';

const MAX_PAGE = 200;

export class StaffService {
  constructor(
    private readonly db: Database,
    private readonly accounts: AccountsRepository,
    private readonly institutions: IdentityRepository,
  ) {}

  private async requireInstitution(id: string, field = 'institutionId'): Promise<void> {
    if (!isUuid(id)) throw InvalidArgumentError.field(field, 'must be an institution id (UUID)');
    if (!(await this.institutions.getInstitution(id))) throw new NotFoundError(`institution ${id} not found`);
  }

  async create(request: CreateStaffRequest, ctx: CallContext): Promise<CreateStaffResponse> {
    await this.requireInstitution(request.institutionId);
    requireAllowed(ctx.principal, canManageInstitution(ctx.principal, request.institutionId));
    const scopes = new Set(['prefecture', ...(await this.institutions.countyCodes())]);
    const staff = checkNewStaff(request, scopes);
    const passwordHash = await hashPassword(staff.password);
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      CreateStaffRequest.encode(request).finish(),
      CreateStaffResponse,
      async (tx) => {
        const row = await this.accounts.insertAccount(tx, {
          username: staff.username,
          displayName: staff.displayName,
          kind: 'staff',
          passwordHash,
          roles: staff.roles,
          institutionId: request.institutionId,
          analystScope: staff.analystScope,
          createdBy: ctx.caller,
        });
        return { account: toAccount(row) };
      },
    );
  }

  async list(request: ListStaffRequest, ctx: CallContext): Promise<{ staff: Account[]; nextPageToken: string }> {
    await this.requireInstitution(request.institutionId);
    requireAllowed(ctx.principal, canManageInstitution(ctx.principal, request.institutionId));
    const limit = checkPageSize(request.pageSize, MAX_PAGE, 50);
    const filters = { institution: request.institutionId };
    const offset = decodeOffsetToken(request.pageToken, filters);
    const rows = await this.accounts.listStaff(request.institutionId, limit + 1, offset);
    return {
      staff: rows.slice(0, limit).map(toAccount),
      nextPageToken: nextOffsetToken(filters, offset, limit, rows.length),
    };
  }

  async deactivate(request: DeactivateStaffRequest, ctx: CallContext): Promise<DeactivateStaffResponse> {
    if (!isUuid(request.id)) throw InvalidArgumentError.field('id', 'must be an account id (UUID)');
    if (request.reason.trim().length < 3)
      throw InvalidArgumentError.field('reason', 'state why the account is deactivated');
    const account = await this.accounts.findById(request.id);
    if (!account || account.kind !== 'staff') throw new NotFoundError(`staff account ${request.id} not found`);
    requireAllowed(ctx.principal, canManageInstitution(ctx.principal, account.institution_id ?? ''));
    return runIdempotent(
      this.db,
      scopeFromContext(ctx),
      DeactivateStaffRequest.encode(request).finish(),
      DeactivateStaffResponse,
      async (tx) => {
        await this.accounts.deactivate(tx, request.id, request.reason.trim());
        return { account: toAccount({ ...((await this.accounts.findById(request.id, tx)) ?? account) }) };
      },
    );
  }
}
