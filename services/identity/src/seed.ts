// Reference data: the alliance's 127 member institutions, upserted by code (safe to run on every start).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '../../common/src/pg/database';
import { serviceDir } from '../../common/src/paths';
import { stableUuid } from './domain/ids';
import { IdentityRepository, SeedInstitution } from './repository';

export function readSeedInstitutions(): SeedInstitution[] {
  return JSON.parse(readFileSync(path.join(serviceDir('identity'), 'seed', 'institutions.json'), 'utf8')) as SeedInstitution[];
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
