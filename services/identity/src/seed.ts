// Reference data: the alliance's 127 member institutions, upserted by code (safe to run on every start).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RoleName } from '../../common/src/auth/principal';
import type { Database } from '../../common/src/pg/database';
import { serviceDir } from '../../common/src/paths';
import { stableUuid } from './domain/ids';
import { hashPassword } from './passwords';
import { IdentityRepository, SeedInstitution } from './repository';

export function readSeedInstitutions(): SeedInstitution[] {
  return JSON.parse(
    readFileSync(path.join(serviceDir('identity'), 'seed', 'institutions.json'), 'utf8'),
  ) as SeedInstitution[];
}

export async function seedInstitutions(db: Database, repository: IdentityRepository): Promise<number> {
  const institutions = readSeedInstitutions();
  await db.withTransaction(async (tx) => {
    for (const institution of institutions) {
      await repository.upsertInstitution(tx, { ...institution, id: stableUuid('institution', institution.code) });
    }
  });
  return institutions.length;
}

/** The demo password of every seeded demo account (README). Demo accounts are off where SEED_DEMO_ACCOUNTS=false. */
export const DEMO_PASSWORD = 'mch-demo-2026!';

interface DemoAccount {
  username: string;
  displayName: string;
  institutionCode: string;
  roles: RoleName[];
  analystScope?: string;
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    username: 'platform.admin',
    displayName: 'Platform Admin',
    institutionCode: 'CX-PREF-MCH',
    roles: ['platform-admin'],
  },
  {
    username: 'pref.clinician',
    displayName: '杨医生 (prefecture obstetrics)',
    institutionCode: 'CX-PREF-MCH',
    roles: ['clinician'],
  },
  {
    username: 'pref.admin',
    displayName: 'Prefecture hospital admin',
    institutionCode: 'CX-PREF-MCH',
    roles: ['institution-admin'],
  },
  {
    username: 'pref.analyst',
    displayName: 'Prefecture health bureau analyst',
    institutionCode: 'CX-PREF-MCH',
    roles: ['analyst'],
    analystScope: 'prefecture',
  },
  {
    username: 'lufeng.clinician',
    displayName: '李医生 (Lufeng MCH)',
    institutionCode: 'CX-LFS-MCH',
    roles: ['clinician'],
  },
  {
    username: 'lufeng.admin',
    displayName: 'Lufeng MCH admin',
    institutionCode: 'CX-LFS-MCH',
    roles: ['institution-admin'],
  },
  {
    username: 'lufeng.analyst',
    displayName: 'Lufeng health bureau analyst',
    institutionCode: 'CX-LFS-MCH',
    roles: ['analyst'],
    analystScope: 'lufeng',
  },
  {
    username: 'lufeng.midwife',
    displayName: '张助产士 (Lufeng township)',
    institutionCode: 'CX-LFS-GUANGTONG-THC',
    roles: ['midwife'],
  },
  {
    username: 'shuangbai.midwife',
    displayName: '普助产士 (Shuangbai township)',
    institutionCode: 'CX-SBX-DAZHUANG-THC',
    roles: ['midwife'],
  },
];

/** Creates the demo accounts that do not exist yet. Returns how many were created. */
export async function seedDemoAccounts(db: Database): Promise<number> {
  const existing = new Set(
    (await db.query<{ username: string }>('SELECT username FROM accounts')).map((row) => row.username),
  );
  const missing = DEMO_ACCOUNTS.filter((account) => !existing.has(account.username));
  if (missing.length === 0) return 0;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await db.withTransaction(async (tx) => {
    for (const account of missing) {
      await tx.query(
        `INSERT INTO accounts (username, display_name, kind, password_hash, roles, institution_id, analyst_scope, created_by)
         VALUES ($1, $2, 'staff', $3, $4, $5, $6, 'seed') ON CONFLICT DO NOTHING`,
        [
          account.username,
          account.displayName,
          passwordHash,
          account.roles,
          stableUuid('institution', account.institutionCode),
          account.analystScope ?? null,
        ],
      );
    }
  });
  return missing.length;
}
