// SQL for the identity schema.
import type { Database, PoolClient } from '../../common/src/pg/database';
import { Institution, InstitutionLevel } from '../../common/src/gen/mch/identity/v1/identity';
import type { InstitutionQuery, Level } from './domain/institutions';

interface InstitutionRow {
  id: string;
  code: string;
  name: string;
  name_en: string;
  level: Level;
  kind: string;
  county_code: string;
  county_name: string;
  township: string;
  latitude: number;
  longitude: number;
  capabilities: string[];
  distance_km: number | null;
  total: string;
}

const LEVEL_TO_PROTO: Readonly<Record<Level, InstitutionLevel>> = {
  PREFECTURE: InstitutionLevel.INSTITUTION_LEVEL_PREFECTURE,
  COUNTY: InstitutionLevel.INSTITUTION_LEVEL_COUNTY,
  TOWNSHIP: InstitutionLevel.INSTITUTION_LEVEL_TOWNSHIP,
};

function toInstitution(row: InstitutionRow): Institution {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    nameEn: row.name_en,
    level: LEVEL_TO_PROTO[row.level],
    kind: row.kind,
    countyCode: row.county_code,
    countyName: row.county_name,
    township: row.township,
    location: { latitude: row.latitude, longitude: row.longitude },
    capabilities: row.capabilities,
    distanceKm: row.distance_km === null ? undefined : Math.round(row.distance_km * 1000) / 1000,
  };
}

const COLUMNS =
  'id, code, name, name_en, level, kind, county_code, county_name, township, latitude, longitude, capabilities';

// Haversine in SQL, the same formula as domain/geo.ts (mean earth radius 6371.0088 km).
const DISTANCE_SQL = `2 * 6371.0088 * asin(least(1, sqrt(
  power(sin(radians(latitude - $1::float8) / 2), 2) +
  cos(radians($1::float8)) * cos(radians(latitude)) * power(sin(radians(longitude - $2::float8) / 2), 2))))`;

const COUNTIES_TTL_MS = 60_000;

export class IdentityRepository {
  private counties: ReadonlySet<string> | undefined;
  private countiesReadAt = 0;

  constructor(private readonly db: Database) {}

  async listInstitutions(query: InstitutionQuery): Promise<{ institutions: Institution[]; total: number }> {
    const values: unknown[] = query.near ? [query.near.latitude, query.near.longitude] : [];
    const where: string[] = ['active'];
    if (query.county) where.push(`county_code = $${values.push(query.county)}`);
    if (query.level) where.push(`level = $${values.push(query.level)}`);
    if (query.capability) where.push(`$${values.push(query.capability)} = ANY (capabilities)`);
    const distance = query.near ? DISTANCE_SQL : 'NULL::float8';
    const order = query.near
      ? 'distance_km, code'
      : `CASE level WHEN 'PREFECTURE' THEN 0 WHEN 'COUNTY' THEN 1 ELSE 2 END, county_code, code`;
    const page = (limit: number, offset: number): Promise<InstitutionRow[]> =>
      this.db.query<InstitutionRow>(
        `SELECT ${COLUMNS}, ${distance} AS distance_km, count(*) OVER () AS total
           FROM institutions WHERE ${where.join(' AND ')}
          ORDER BY ${order} LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
        [...values, limit, offset],
      );
    const rows = await page(query.pageSize, query.offset);
    // Past the last page the window count is not there to read: ask for the first row's.
    const totalRow = rows[0] ?? (query.offset > 0 ? (await page(1, 0))[0] : undefined);
    const total = Number(totalRow?.total ?? 0);
    return { institutions: rows.map(toInstitution), total };
  }

  async getInstitution(id: string): Promise<Institution | undefined> {
    const rows = await this.db.query<InstitutionRow>(
      `SELECT ${COLUMNS}, NULL::float8 AS distance_km, '1' AS total FROM institutions WHERE id = $1`,
      [id],
    );
    return rows[0] ? toInstitution(rows[0]) : undefined;
  }

  /** County codes of the member institutions; they change only with the seed, so they are re-read once a minute. */
  async countyCodes(): Promise<ReadonlySet<string>> {
    if (!this.counties || Date.now() - this.countiesReadAt > COUNTIES_TTL_MS) {
      const rows = await this.db.query<{ county_code: string }>('SELECT DISTINCT county_code FROM institutions');
      this.counties = new Set(rows.map((row) => row.county_code));
      this.countiesReadAt = Date.now();
    }
    return this.counties;
  }

  async upsertInstitution(tx: PoolClient, institution: SeedInstitution & { id: string }): Promise<void> {
    await tx.query(
      `INSERT INTO institutions (id, code, name, name_en, level, kind, county_code, county_name, township, latitude, longitude, capabilities)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, level = EXCLUDED.level,
         kind = EXCLUDED.kind, county_code = EXCLUDED.county_code, county_name = EXCLUDED.county_name,
         township = EXCLUDED.township, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
         capabilities = EXCLUDED.capabilities, updated_at = now()
       WHERE (institutions.name, institutions.name_en, institutions.level, institutions.kind, institutions.county_code,
              institutions.county_name, institutions.township, institutions.latitude, institutions.longitude, institutions.capabilities)
         IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.name_en, EXCLUDED.level, EXCLUDED.kind, EXCLUDED.county_code,
              EXCLUDED.county_name, EXCLUDED.township, EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.capabilities)`,
      [
        institution.id,
        institution.code,
        institution.name,
        institution.nameEn,
        institution.level,
        institution.kind,
        institution.countyCode,
        institution.countyName,
        institution.township,
        institution.lat,
        institution.lon,
        institution.capabilities,
      ],
    );
  }
}

/** One entry of seed/institutions.json. */
export interface SeedInstitution {
  code: string;
  name: string;
  nameEn: string;
  level: Level;
  kind: string;
  countyCode: string;
  countyName: string;
  township: string;
  lat: number;
  lon: number;
  capabilities: string[];
}
