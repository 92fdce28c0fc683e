// Values files against values.schema.json, and the rules between values that a schema cannot state.
import path from 'node:path';
import { isMap, isPair, isScalar, parseDocument } from 'yaml';
import {
  at,
  CHART_DIR,
  chartValues,
  compileSchema,
  describeErrors,
  FIXTURES_DIR,
  isPlainObject,
  loadSchema,
  mergedValues,
  mergeValues,
  OVERLAYS,
  readText,
  readYamlFile,
  Values,
  withoutRequired,
} from './lib/chart';

const schema = loadSchema();
const validateFull = compileSchema(schema);
const validateOverlay = compileSchema(withoutRequired(schema));

function fullErrors(values: Values): string[] {
  return validateFull(values) ? [] : describeErrors(validateFull.errors);
}

const GRPC_SERVICES = ['identity', 'records', 'scheduling', 'referral', 'consultation', 'replication'];
const ALL_SERVICES = [...GRPC_SERVICES, 'gateway'];

interface ServiceValues {
  enabled: boolean;
  replicas: number;
  callers?: string[];
  resources: { requests?: { cpu?: string | number } };
  autoscaling: { enabled: boolean; minReplicas: number; maxReplicas: number };
  pdb: { enabled: boolean };
}

function service(values: Values, name: string): ServiceValues {
  return at(values, `services.${name}`) as ServiceValues;
}

/** Pods of a service at most: its HPA maximum, or its fixed replica count. */
function maxPods(svc: ServiceValues): number {
  return svc.autoscaling.enabled ? svc.autoscaling.maxReplicas : svc.replicas;
}

function minPods(svc: ServiceValues): number {
  return svc.autoscaling.enabled ? svc.autoscaling.minReplicas : svc.replicas;
}

const DEFAULT_AND_MERGED: [string, Values][] = [
  ['values.yaml', chartValues('values.yaml')],
  ...OVERLAYS.map((overlay): [string, Values] => [`values.yaml + ${overlay}`, mergedValues(overlay)]),
];

describe('values files against values.schema.json', () => {
  it('the schema is draft-07 and compiles in ajv strict mode', () => {
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(() => compileSchema(schema)).not.toThrow();
  });

  it('every object in the schema forbids undeclared keys', () => {
    const open: string[] = [];
    const visit = (node: unknown, where: string): void => {
      if (Array.isArray(node)) node.forEach((child, index) => visit(child, `${where}/${index}`));
      if (!isPlainObject(node)) return;
      if (isPlainObject(node['properties']) && node['additionalProperties'] !== false) open.push(where);
      for (const [key, child] of Object.entries(node)) visit(child, `${where}/${key}`);
    };
    visit(schema, '#');
    expect(open).toEqual([]);
  });

  it.each(['values.yaml', ...OVERLAYS])('%s validates on its own', (file) => {
    const values = chartValues(file);
    const validate = file === 'values.yaml' ? validateFull : validateOverlay;
    expect(validate(values) ? [] : describeErrors(validate.errors)).toEqual([]);
  });

  it.each(DEFAULT_AND_MERGED)('%s validates as Helm sees it', (_name, values) => {
    expect(fullErrors(values)).toEqual([]);
  });

  it('the example of cluster-specific production values validates on top of values-prod.yaml', () => {
    const example = readYamlFile(path.join(CHART_DIR, 'ci', 'prod-example-values.yaml'));
    expect(validateOverlay(example) ? [] : describeErrors(validateOverlay.errors)).toEqual([]);
    expect(fullErrors(mergeValues(mergedValues('values-prod.yaml'), example))).toEqual([]);
  });

  it('a values file with mistyped keys fails, naming each mistyped key', () => {
    const typo = readYamlFile(path.join(FIXTURES_DIR, 'values-typo.yaml'));
    const errors = fullErrors(mergeValues(chartValues('values.yaml'), typo));
    expect(errors).toEqual(
      expect.arrayContaining([
        '/services/identity: must NOT have additional properties (replica)',
        '/postgres/synchronous: must NOT have additional properties (dataDurablity)',
        '/networkPolicy: must NOT have additional properties (kubeApiServers)',
      ]),
    );
    expect(validateOverlay(typo)).toBe(false);
  });

  it.each<[string, Values, string]>([
    ['an unknown service', { services: { identiy: {} } }, '/services: must NOT have additional properties (identiy)'],
    [
      'a durability that is not a CloudNativePG one',
      { postgres: { synchronous: { dataDurability: 'strict' } } },
      '/postgres/synchronous/dataDurability: must be equal to one of the allowed values',
    ],
    [
      'a postgresql.conf parameter that is not a string',
      { postgres: { parameters: { max_connections: 400 } } },
      '/postgres/parameters/max_connections: must be string',
    ],
    [
      'a misspelt spread mode',
      { topology: { spread: { whenUnsatisfiable: 'DoNotScedule' } } },
      '/topology/spread/whenUnsatisfiable: must be equal to one of the allowed values',
    ],
    [
      'a caller that is not a service',
      { services: { records: { callers: ['gateway', 'billing'] } } },
      '/services/records/callers/1: must be equal to one of the allowed values',
    ],
    [
      'a retention CloudNativePG rejects',
      { postgres: { backup: { retentionPolicy: '30 days' } } },
      '/postgres/backup/retentionPolicy: must match pattern "^[1-9][0-9]*[dwm]$"',
    ],
    [
      'a five-field cron for a ScheduledBackup',
      { postgres: { backup: { schedule: '0 2 * * *' } } },
      '/postgres/backup/schedule: must match pattern "^\\S+( \\S+){5}$"',
    ],
    [
      'callers on the gateway',
      { services: { gateway: { callers: ['identity'] } } },
      '/services/gateway: must NOT have additional properties (callers)',
    ],
  ])('rejects %s', (_what, overlay, expected) => {
    expect(fullErrors(mergeValues(chartValues('values.yaml'), overlay))).toContain(expected);
  });
});

describe('rules between values', () => {
  it.each(DEFAULT_AND_MERGED)('%s: callers name other services only', (_name, values) => {
    const problems: string[] = [];
    for (const name of GRPC_SERVICES) {
      for (const caller of service(values, name).callers ?? []) {
        if (!ALL_SERVICES.includes(caller)) problems.push(`${name} <- ${caller}: no such service`);
        if (caller === name) problems.push(`${name} lists itself as a caller`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(DEFAULT_AND_MERGED)('%s: the grace period covers the preStop sleep and the drain', (_name, values) => {
    const graceMs = (at(values, 'global.terminationGracePeriodSeconds') as number) * 1000;
    const needMs =
      (at(values, 'global.preStopSleepSeconds') as number) * 1000 + (at(values, 'config.shutdownGraceMs') as number);
    expect(graceMs).toBeGreaterThan(needMs);
  });

  it.each(DEFAULT_AND_MERGED)('%s: autoscaled services request CPU and have min <= max', (_name, values) => {
    const problems: string[] = [];
    for (const name of ALL_SERVICES) {
      const svc = service(values, name);
      if (!svc.autoscaling.enabled) continue;
      if (svc.resources.requests?.cpu === undefined)
        problems.push(`${name}: an HPA on CPU needs resources.requests.cpu`);
      if (svc.autoscaling.minReplicas > svc.autoscaling.maxReplicas)
        problems.push(`${name}: minReplicas > maxReplicas`);
    }
    expect(problems).toEqual([]);
  });

  it.each(DEFAULT_AND_MERGED)('%s: every pool fits in max_connections', (_name, values) => {
    // Each gRPC pod holds a read-write and a read-only pool of PG_POOL_MAX; a migrate Job at most 3
    // connections; 20 are left for the operator, backups and people. Counted for every service, enabled
    // or not yet: they will be.
    const poolMax = at(values, 'config.pgPoolMax') as number;
    const pods = GRPC_SERVICES.reduce((sum, name) => sum + maxPods(service(values, name)), 0);
    const needed = pods * poolMax * 2 + GRPC_SERVICES.length * 3 + 20;
    const maxConnections = Number(at(values, 'postgres.parameters.max_connections'));
    expect({ needed, maxConnections, fits: needed <= maxConnections }).toEqual({ needed, maxConnections, fits: true });
  });

  it.each(DEFAULT_AND_MERGED)("%s: the OpenTelemetry NetworkPolicy port is the endpoint's port", (_name, values) => {
    const endpoint = at(values, 'otel.endpoint') as string;
    if (!endpoint) return;
    const url = new URL(endpoint);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    expect(at(values, 'networkPolicy.otelCollector.port')).toBe(port);
  });

  it.each(DEFAULT_AND_MERGED)('%s: data zones are distinct', (_name, values) => {
    const zones = at(values, 'topology.dataZones') as { name: string; zone: string }[];
    expect(new Set(zones.map((zone) => zone.name)).size).toBe(zones.length);
    // values-prod.yaml leaves the zone labels to the operator (empty; render.test.ts checks that helm then refuses).
    const labelled = zones.map((zone) => zone.zone).filter(Boolean);
    expect(new Set(labelled).size).toBe(labelled.length);
  });

  it.each(DEFAULT_AND_MERGED)('%s: synchronous replication has a standby to wait for', (_name, values) => {
    if (!at(values, 'postgres.synchronous.enabled')) return;
    expect(at(values, 'postgres.instances') as number).toBeGreaterThan(
      at(values, 'postgres.synchronous.number') as number,
    );
  });
});

describe('values-prod.yaml (merged on values.yaml)', () => {
  const prod = mergedValues('values-prod.yaml');

  it('runs at least two pods of every service, with a PDB and an HPA', () => {
    const problems: string[] = [];
    for (const name of ALL_SERVICES) {
      const svc = service(prod, name);
      if (minPods(svc) < 2 || svc.replicas < 2) problems.push(`${name}: fewer than two replicas`);
      if (!svc.pdb.enabled) problems.push(`${name}: no PodDisruptionBudget`);
      if (!svc.autoscaling.enabled) problems.push(`${name}: no HPA`);
    }
    expect(problems).toEqual([]);
  });

  it('spreads pods over zones as a hard rule and pins data to the two data zones', () => {
    expect(at(prod, 'topology.spread')).toMatchObject({ enabled: true, whenUnsatisfiable: 'DoNotSchedule' });
    expect(at(prod, 'topology.pinDataToZones')).toBe(true);
    expect(at(prod, 'topology.dataZones') as unknown[]).toHaveLength(2);
  });

  it('has one PostgreSQL instance per data zone, each commit confirmed by the other zone', () => {
    const zones = (at(prod, 'topology.dataZones') as unknown[]).length;
    expect(at(prod, 'postgres.instances')).toBe(zones);
    // With one instance per zone, `any <instances - 1>` means every commit is on both zones.
    expect(at(prod, 'postgres.synchronous')).toMatchObject({ enabled: true, method: 'any', number: zones - 1 });
    expect(['required', 'preferred']).toContain(at(prod, 'postgres.synchronous.dataDurability'));
  });

  it('backs PostgreSQL up, keeps it on uninstall, and verifies its TLS certificate', () => {
    expect(at(prod, 'postgres.backup.enabled')).toBe(true);
    expect(at(prod, 'postgres.keepOnUninstall')).toBe(true);
    expect(at(prod, 'postgres.sslMode')).toBe('verify-full');
  });

  it('is hardened: NetworkPolicies, read-only root filesystems, no secrets in values, TLS at the ingress', () => {
    expect(at(prod, 'networkPolicy.enabled')).toBe(true);
    expect(at(prod, 'global.readOnlyRootFilesystem')).toBe(true);
    expect(at(prod, 'image.nodeArgs')).toEqual([]);
    expect(at(prod, 'secrets.existingSecret')).not.toBe('');
    expect(at(prod, 'secrets.values')).toEqual({});
    expect(at(prod, 'ingress.tls.enabled')).toBe(true);
  });
});

describe('values-dev.yaml (merged on values.yaml)', () => {
  const dev = mergedValues('values-dev.yaml');

  it('runs one pod of every service, without PDBs or HPAs', () => {
    for (const name of ALL_SERVICES) {
      expect({
        name,
        replicas: service(dev, name).replicas,
        pdb: service(dev, name).pdb.enabled,
        hpa: service(dev, name).autoscaling.enabled,
      }).toEqual({
        name,
        replicas: 1,
        pdb: false,
        hpa: false,
      });
    }
  });

  it('fits a single-node cluster: one PostgreSQL instance, nothing pinned to zones', () => {
    expect(at(dev, 'postgres.instances')).toBe(1);
    expect(at(dev, 'postgres.synchronous.enabled')).toBe(false);
    expect(at(dev, 'postgres.enablePDB')).toBe(false);
    expect(at(dev, 'topology.pinDataToZones')).toBe(false);
  });

  it('lets Live Update restart the processes it writes to', () => {
    expect(at(dev, 'global.readOnlyRootFilesystem')).toBe(false);
    expect(at(dev, 'image.nodeArgs')).toContain('--watch');
  });
});

describe('values.yaml documents every parameter', () => {
  it('every value has a comment on its own key or on an enclosing key', () => {
    const document = parseDocument(readText(path.join(CHART_DIR, 'values.yaml')));
    const undocumented: string[] = [];
    const visit = (node: unknown, where: string, documented: boolean): void => {
      if (!isMap(node)) return;
      node.items.forEach((pair, index) => {
        if (!isPair(pair) || !isScalar(pair.key)) return;
        const key = String(pair.key.value);
        const own = Boolean(
          pair.key.commentBefore || (index === 0 && node.commentBefore) || (isScalar(pair.value) && pair.value.comment),
        );
        // A mapping is documented through its entries; every other value needs a comment.
        if (isMap(pair.value) && pair.value.items.length > 0) visit(pair.value, `${where}${key}.`, documented || own);
        else if (!documented && !own) undocumented.push(`${where}${key}`);
      });
    };
    visit(document.contents, '', false);
    expect(undocumented).toEqual([]);
  });
});
