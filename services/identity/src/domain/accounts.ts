// Rules for accounts: usernames, passwords, roles and scopes, checked before anything is stored.
import { RoleName } from '../../../common/src/auth/principal';
import { InvalidArgumentError, Violations } from '../../../common/src/errors';
import { Role } from '../../../common/src/gen/mch/identity/v1/identity';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

const ROLE_NAMES: ReadonlyMap<Role, RoleName> = new Map([
  [Role.ROLE_CLINICIAN, 'clinician'],
  [Role.ROLE_MIDWIFE, 'midwife'],
  [Role.ROLE_INSTITUTION_ADMIN, 'institution-admin'],
  [Role.ROLE_ANALYST, 'analyst'],
  [Role.ROLE_PLATFORM_ADMIN, 'platform-admin'],
]);

export function roleName(role: Role): RoleName | undefined {
  return ROLE_NAMES.get(role);
}

export function roleFromName(name: string): Role {
  for (const [role, roleText] of ROLE_NAMES) if (roleText === name) return role;
  return Role.ROLE_UNSPECIFIED;
}

export function checkUsername(raw: string, field = 'username'): string {
  const username = raw.trim().toLowerCase();
  if (!USERNAME_PATTERN.test(username)) {
    throw InvalidArgumentError.field(
      field,
      '3 to 64 characters: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  return username;
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (new Set(password).size < 5) return 'must not repeat the same few characters';
  return undefined;
}

export interface NewStaff {
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly RoleName[];
  readonly analystScope: string | undefined;
  readonly password: string;
}

/** Validates a staff account request, collecting every violation. Platform admins are seeded, never created here. */
export function checkNewStaff(
  input: { username: string; displayName: string; roles: readonly Role[]; password: string; analystScope: string },
  knownScopes: ReadonlySet<string>,
): NewStaff {
  const violations = new Violations();
  const username = violations.check(() => checkUsername(input.username)) ?? '';
  const displayName = input.displayName.trim();
  if (displayName.length < 1 || displayName.length > 100) violations.add('displayName', 'must be 1 to 100 characters');
  const roles: RoleName[] = [];
  if (input.roles.length === 0) violations.add('roles', 'at least one role is required');
  for (const role of input.roles) {
    const name = roleName(role);
    if (!name) violations.add('roles', `unknown role ${role}`);
    else if (name === 'platform-admin') violations.add('roles', 'platform admins are not created by institutions');
    else if (!roles.includes(name)) roles.push(name);
  }
  const scope = input.analystScope.trim().toLowerCase();
  if (roles.includes('analyst')) {
    if (!knownScopes.has(scope)) violations.add('analystScope', `analysts need a scope: prefecture or a county code`);
  } else if (scope) {
    violations.add('analystScope', 'only analysts have a scope');
  }
  const problem = passwordProblem(input.password);
  if (problem) violations.add('password', problem);
  violations.throwIfAny();
  return {
    username,
    displayName,
    roles,
    analystScope: roles.includes('analyst') ? scope : undefined,
    password: input.password,
  };
}
