import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../../common/src/errors';
import { ServiceType } from '../../../common/src/gen/mch/scheduling/v1/scheduling';
import { serviceCodeOf, serviceForDueItem, serviceTypeOf } from './service-types';

describe('service types', () => {
  it('round-trip between the proto enum and the stored code; unset or unknown names the field', () => {
    expect(serviceTypeOf(serviceCodeOf(ServiceType.SERVICE_TYPE_CHILD_HEALTH_CHECK, 'service'))).toBe(
      ServiceType.SERVICE_TYPE_CHILD_HEALTH_CHECK,
    );
    for (const bad of [ServiceType.SERVICE_TYPE_UNSPECIFIED, 99 as ServiceType]) {
      expect(() => serviceCodeOf(bad, 'service')).toThrow(InvalidArgumentError);
    }
    expect(serviceTypeOf('massage')).toBe(ServiceType.SERVICE_TYPE_UNSPECIFIED);
  });

  it("book every item of records' schedule data as a service, except home visits", () => {
    const dir = join(__dirname, '../../../records/data/schedules');
    const mapped = new Map<string, string | undefined>();
    for (const file of readdirSync(dir)) {
      const schedule = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        items: Array<{ id: string; service?: string; vaccine?: string }>;
      };
      for (const item of schedule.items)
        mapped.set(
          `${file}:${item.id}`,
          serviceForDueItem({ service: item.service ?? '', vaccine: item.vaccine ?? '' }),
        );
    }
    const unmapped = [...mapped].filter(([, service]) => service === undefined).map(([id]) => id);
    expect(unmapped.sort()).toEqual([
      'cn-bphs-child-health-2017.json:newborn-home-visit',
      'cn-bphs-postpartum-2017.json:home-visit',
    ]);
    expect(mapped.get('cn-nip-2021.json:hepb-2')).toBe('vaccination');
    expect(mapped.get('who-anc-2016.json:contact-1')).toBe('antenatal-check');
    expect(mapped.get('cn-bphs-antenatal-2017.json:first-visit')).toBe('antenatal-check');
    expect(mapped.get('cn-cma-antenatal-2018.json:check-25-28')).toBe('antenatal-check');
    expect(mapped.get('cn-cma-antenatal-2018.json:ogtt-75g')).toBe('antenatal-check');
    expect(mapped.get('cn-bphs-child-health-2017.json:check-3-months')).toBe('child-health-check');
    expect(mapped.get('cn-bphs-postpartum-2017.json:check-42-day')).toBe('consultation');
  });
});
