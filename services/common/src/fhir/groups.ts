// The Group resources a Bulk Data export names: one per county-level division of the prefecture (DESIGN.md §1),
// defined by a characteristic (the county of the care) rather than by a member list, which would enumerate patients.
import type { Group } from '@medplum/fhirtypes';
import { PROJECT_BASE } from './canonical';

/** The county codes the platform's institutions carry (services/identity/seed/institutions.json). */
export const COUNTIES: Readonly<Record<string, { readonly name: string; readonly nameEn: string }>> = {
  chuxiong: { name: '楚雄市', nameEn: 'Chuxiong' },
  lufeng: { name: '禄丰市', nameEn: 'Lufeng' },
  shuangbai: { name: '双柏县', nameEn: 'Shuangbai' },
  mouding: { name: '牟定县', nameEn: 'Mouding' },
  nanhua: { name: '南华县', nameEn: 'Nanhua' },
  yaoan: { name: '姚安县', nameEn: "Yao'an" },
  dayao: { name: '大姚县', nameEn: 'Dayao' },
  yongren: { name: '永仁县', nameEn: 'Yongren' },
  yuanmou: { name: '元谋县', nameEn: 'Yuanmou' },
  wuding: { name: '武定县', nameEn: 'Wuding' },
};

export const COUNTY_SYSTEM = `${PROJECT_BASE}/CodeSystem/county`;

export function countyGroup(code: string): Group | undefined {
  const county = COUNTIES[code];
  if (!county) return undefined;
  return {
    resourceType: 'Group',
    id: code,
    identifier: [{ system: COUNTY_SYSTEM, value: code }],
    active: true,
    type: 'person',
    actual: false,
    name: `${county.name} (${county.nameEn}): women and children whose pregnancy or child record is held in the county`,
    characteristic: [
      {
        code: { text: 'county of the pregnancy or child record' },
        valueCodeableConcept: { coding: [{ system: COUNTY_SYSTEM, code, display: county.name }] },
        exclude: false,
      },
    ],
  };
}
