import { InvalidArgumentError } from '../../../common/src/errors';
import { Role } from '../../../common/src/gen/mch/identity/v1/identity';
import { checkNewStaff, checkUsername, passwordProblem } from './accounts';

const scopes = new Set(['prefecture', 'lufeng']);
const staff = (overrides = {}) => ({
  username: 'wang.fang',
  displayName: '王芳',
  roles: [Role.ROLE_CLINICIAN],
  password: 'correct horse battery',
  analystScope: '',
  ...overrides,
});

function fields(attempt: () => unknown): string[] {
  try {
    attempt();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations.map((v) => v.field).sort();
    throw error;
  }
  return [];
}

describe('account rules', () => {
  it('accepts a well-formed clinician and lowercases the username', () => {
    expect(checkNewStaff(staff({ username: 'Wang.Fang' }), scopes)).toMatchObject({
      username: 'wang.fang',
      roles: ['clinician'],
    });
  });

  it('names every bad field', () => {
    expect(
      fields(() => checkNewStaff(staff({ username: 'x', displayName: ' ', roles: [], password: 'short' }), scopes)),
    ).toEqual(['displayName', 'password', 'roles', 'username']);
  });

  it('refuses platform admins and scopes on non-analysts, and needs a known scope for analysts', () => {
    expect(fields(() => checkNewStaff(staff({ roles: [Role.ROLE_PLATFORM_ADMIN] }), scopes))).toEqual(['roles']);
    expect(fields(() => checkNewStaff(staff({ analystScope: 'lufeng' }), scopes))).toEqual(['analystScope']);
    expect(
      fields(() => checkNewStaff(staff({ roles: [Role.ROLE_ANALYST], analystScope: 'atlantis' }), scopes)),
    ).toEqual(['analystScope']);
    expect(checkNewStaff(staff({ roles: [Role.ROLE_ANALYST], analystScope: 'Lufeng' }), scopes).analystScope).toBe(
      'lufeng',
    );
  });

  it('judges passwords by length and variety', () => {
    expect(passwordProblem('aaaaaaaaaaaaaaaa')).toMatch(/repeat/);
    expect(passwordProblem('short')).toMatch(/at least/);
    expect(passwordProblem('a long enough passphrase')).toBeUndefined();
  });

  it('rejects usernames with spaces or symbols', () => {
    expect(() => checkUsername('li mei')).toThrow(InvalidArgumentError);
    expect(() => checkUsername("li'; drop")).toThrow(InvalidArgumentError);
  });
});
