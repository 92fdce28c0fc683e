// The chart rendered by a real helm (the pinned .tools/bin/helm, or $MCH_HELM) with each documented set of values:
// linted strictly, every object validated against the Kubernetes schemas and the vendors' CRDs, and the properties the
// platform relies on asserted on the rendered objects themselves.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConsultationConfig } from '../../services/consultation/src/config';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { loadIdentityConfig } from '../../services/identity/src/config';
import {
  CREDENTIAL_HOLDERS,
  credentialKey,
  loadServiceCredentialsConfig,
} from '../../services/identity/src/service-credentials';
import { deriveServiceCredential, verifyServiceCredential } from '../../services/common/src/auth/service-identity';
import { loadRecordsConfig } from '../../services/records/src/config';
import { loadReferralConfig } from '../../services/referral/src/config';
import { loadReplicationConfig } from '../../services/replication/src/config';
import { loadStoreAgentConfig } from '../../services/replication/src/store-agent/config';
import { CloudNativePgEngine, DATA_DURABILITY } from '../../services/replication/src/cloudnative-pg';
import { EMPTY_MEMORY, observe } from '../../services/replication/src/domain/status';
import { FakeKubeApi, healthyCluster, TOKEN } from '../../services/replication/test/kube-api-stand-in';
import { loadSchedulingConfig } from '../../services/scheduling/src/config';
import { callGraph, GRPC_SERVICES } from './lib/call-graph';
import { at, CHART_DIR, mergeValues, readYamlFile, Values } from './lib/chart';
import {
  byKind,
  KubeObject,
  lint,
  NAMESPACE,
  notes,
  PROD_MINIMUM,
  render,
  RELEASE,
  template as helmTemplate,
  ValuesSet,
  VALUES_SETS,
} from './lib/helm';
import {
  crdFiles,
  crdManifest,
  crdModels,
  invalid,
  sha256File,
  ValidationResult,
  validateObjects,
} from './lib/kube-schemas';
import { allowed, Endpoint, Port, selects } from './lib/network-policy';
import { containerEnv, podSpec } from './lib/pod-env';

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job'];

interface Rendered {
  objects: KubeObject[];
  results: ValidationResult[];
  values: Values;
}

const rendered = new Map<string, Promise<Rendered>>();
let modelDirs: Promise<string[]> | undefined;

function crdModelDirs(): Promise<string[]> {
  modelDirs ??= Promise.all([...crdFiles().values()].map((file) => crdModels(file)));
  return modelDirs;
}

/** The values helm saw: the files merged on values.yaml, then the `--set-string` pairs (`a.b[0].c=value`). */
function valuesOf(values: ValuesSet): Values {
  const merged = values.files.reduce(
    (sum, file) => mergeValues(sum, readYamlFile(path.join(CHART_DIR, file))),
    readYamlFile(path.join(CHART_DIR, 'values.yaml')),
  );
  const copy = JSON.parse(JSON.stringify(merged)) as Values;
  for (const [key, value] of Object.entries(values.set ?? {})) {
    const parts = key.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== '');
    let node = copy as Record<string, unknown>;
    parts.forEach((part, index) => {
      if (index === parts.length - 1) node[part] = value;
      else node = (node[part] ??= /^\d+$/.test(parts[index + 1] as string) ? [] : {}) as Record<string, unknown>;
    });
  }
  return copy;
}

/**
 * The objects as the pods find them once the chart's service-credentials Job has run: the app Secret also holds each
 * service's credential, derived from the Secret's own MCH_SERVICE_SECRET as the Job derives it.
 */
function afterCredentialsJob(objects: KubeObject[]): KubeObject[] {
  const job = objects.find(
    (object) => object.kind === 'Job' && object.metadata.name.startsWith(`${RELEASE}-service-credentials-`),
  );
  if (!job) return objects;
  const secretName = podSpec(job).containers[0]?.env?.find((variable) => variable.name === 'APP_SECRET')?.value;
  return objects.map((object) => {
    if (object.kind !== 'Secret' || object.metadata.name !== secretName) return object;
    const data = { ...(object['data'] as Record<string, string>) };
    const serviceSecret = Buffer.from(data['MCH_SERVICE_SECRET'] ?? '', 'base64').toString('utf8');
    for (const service of CREDENTIAL_HOLDERS)
      data[credentialKey(service)] = Buffer.from(deriveServiceCredential(serviceSecret, service)).toString('base64');
    return { ...object, data };
  });
}

function renderOnce(values: ValuesSet): Promise<Rendered> {
  let entry = rendered.get(values.name);
  if (!entry) {
    entry = (async () => {
      const manifest = await render(values);
      const results = await validateObjects(manifest, await crdModelDirs());
      return { objects: afterCredentialsJob(manifest), results, values: valuesOf(values) };
    })();
    rendered.set(values.name, entry);
  }
  return entry;
}

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
    topologySpreadConstraints?: {
      topologyKey: string;
      whenUnsatisfiable: string;
      labelSelector: { matchLabels: Record<string, string> };
    }[];
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms: { matchExpressions: { key: string; values: string[] }[] }[];
        };
      };
    };
    volumes?: { name: string; emptyDir?: unknown }[];
    containers: {
      name: string;
      image: string;
      ports?: { name?: string; containerPort: number; protocol?: string }[];
      securityContext?: Record<string, unknown>;
      resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
      readinessProbe?: Record<string, unknown>;
      livenessProbe?: Record<string, unknown>;
      volumeMounts?: { name: string; mountPath: string }[];
    }[];
  };
}

function template(workload: KubeObject): PodTemplate {
  return (workload.spec as { template: PodTemplate }).template;
}

const component = (object: KubeObject): string =>
  template(object).metadata.labels['app.kubernetes.io/component'] ?? '?';

/** The process a container runs: SERVICE_NAME of its environment (`objects-a` is zone a's store agent). */
function processOf(objects: readonly KubeObject[], workload: KubeObject): string {
  const container = podSpec(workload).containers[0];
  if (!container) throw new Error(`${workload.metadata.name} has no container`);
  return containerEnv(objects, container)['SERVICE_NAME'] ?? '?';
}

const LOADERS: Record<string, (env: NodeJS.ProcessEnv) => unknown> = {
  identity: loadIdentityConfig,
  records: loadRecordsConfig,
  scheduling: loadSchedulingConfig,
  referral: loadReferralConfig,
  consultation: loadConsultationConfig,
  replication: loadReplicationConfig,
  gateway: loadGatewayConfig,
  'service-credentials': loadServiceCredentialsConfig,
};

describe('vendor CRDs', () => {
  it('every CRD file found is the released file crds.json pins (sha256), with its version and licence named', () => {
    const found = crdFiles();
    for (const crd of crdManifest()) {
      expect(crd.licence).toMatch(/^Apache-2\.0$/);
      expect(crd.version).toMatch(/^v\d+\.\d+\.\d+$/);
      const file = found.get(crd.file);
      if (file) expect({ file: crd.file, sha256: sha256File(file) }).toEqual({ file: crd.file, sha256: crd.sha256 });
    }
  });
});

describe('the validators reject invalid objects', () => {
  it('a Deployment with a string replica count and an unknown field fails the Kubernetes schema', async () => {
    const broken: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: {
        replicas: 'two',
        selector: {},
        template: { spec: { containers: [{ name: 'x', image: 'x', ports: [{ containerPort: 'http' }] }] } },
      },
    };
    const [result] = await validateObjects([broken], []);
    expect(result?.source).toBe('kubernetes');
    expect(result?.errors.join(' ')).toMatch(/replicas/);
  });

  it('an object of a kind no schema knows is reported, not passed', async () => {
    const [result] = await validateObjects(
      [{ apiVersion: 'example.org/v1', kind: 'Unknown', metadata: { name: 'x' } }],
      await crdModelDirs(),
    );
    expect(result).toMatchObject({ source: 'none' });
  });

  it('a CloudNativePG Cluster with a durability the operator does not know fails the CRD model, or without the CRD file the API types package', async () => {
    const broken: KubeObject = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'pg' },
      spec: {
        instances: 2,
        storage: { size: '1Gi' },
        postgresql: { synchronous: { method: 'any', number: 1, dataDurability: 'strict' } },
      },
    };
    const [result] = await validateObjects([broken], await crdModelDirs());
    expect(result?.source).toBe(crdFiles().has('postgresql.cnpg.io_clusters.yaml') ? 'crd' : 'crd-package');
    expect(result?.errors.join(' ')).toMatch(/dataDurability/);
  });

  it('a ScheduledBackup with a method CloudNativePG does not offer fails', async () => {
    const broken: KubeObject = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'ScheduledBackup',
      metadata: { name: 'b' },
      spec: { schedule: '0 0 0 * * *', cluster: { name: 'pg' }, method: 'tape' },
    };
    const [result] = await validateObjects([broken], await crdModelDirs());
    expect(result?.errors.join(' ')).toMatch(/method/);
  });

  it('a Barman Cloud ObjectStore whose configuration lacks its destination fails (without the CRD file, on spec.configuration)', async () => {
    const broken: KubeObject = {
      apiVersion: 'barmancloud.cnpg.io/v1',
      kind: 'ObjectStore',
      metadata: { name: 'o' },
      spec: { configuration: { s3Credentials: { inheritFromIAMRole: 'yes' } } },
    };
    const [result] = await validateObjects([broken], await crdModelDirs());
    expect(result?.source).toBe(
      crdFiles().has('barmancloud.cnpg.io_objectstores.yaml') ? 'crd' : 'crd-package-partial',
    );
    expect(result?.errors.join(' ')).toMatch(/destinationPath|inheritFromIAMRole/);
  });
});

describe('values-prod.yaml without one value of the documented minimum', () => {
  // Each group is one thing an operator sets; leaving it out must fail with a message naming it.
  const groups: [string, string[], RegExp][] = [
    ['image.repository', ['image.repository'], /image\.repository is required/],
    ['ingress.host', ['ingress.host'], /ingress\.host is required/],
    [
      'topology.dataZones[].zone',
      ['topology.dataZones[0].zone', 'topology.dataZones[1].zone'],
      /topology\.dataZones\[0\]\.zone is required/,
    ],
    [
      'networkPolicy.kubeApiServer.cidrs',
      ['networkPolicy.kubeApiServer.cidrs[0]'],
      /networkPolicy\.kubeApiServer\.cidrs is required/,
    ],
    [
      'networkPolicy.backupStorage.cidrs',
      ['networkPolicy.backupStorage.cidrs[0]'],
      /networkPolicy\.backupStorage\.cidrs is required/,
    ],
  ];

  it('the groups cover every key of the minimum but the ones values-prod.yaml presets', () => {
    const covered = new Set(groups.flatMap(([, keys]) => keys));
    expect(
      Object.keys(PROD_MINIMUM).filter(
        (key) => !covered.has(key) && !/\.name$/.test(key) && key !== 'postgres.backup.destinationPath',
      ),
    ).toEqual([]);
  });

  it.each(groups)('without %s helm refuses to render and says what to set', async (_name, keys, message) => {
    const set = Object.fromEntries(Object.entries(PROD_MINIMUM).filter(([key]) => !keys.includes(key)));
    const result = await helmTemplate({ name: 'prod-missing', files: ['values-prod.yaml'], set });
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(message);
  });
});

describe.each(VALUES_SETS)('helm with $name values', (values) => {
  it('helm lint --strict passes', async () => {
    const result = await lint(values);
    expect({ ok: result.ok, output: result.ok ? '' : `${result.stdout}\n${result.stderr}` }).toEqual({
      ok: true,
      output: '',
    });
  });

  it('renders, and every object of a Kubernetes API validates against the v1.36 schemas', async () => {
    const { objects, results } = await renderOnce(values);
    expect(objects.length).toBeGreaterThan(10);
    expect(invalid(results.filter((result) => result.source === 'kubernetes'))).toEqual([]);
    for (const object of objects)
      expect({ object: `${object.kind}/${object.metadata.name}`, namespace: object.metadata.namespace }).toEqual({
        object: `${object.kind}/${object.metadata.name}`,
        namespace: NAMESPACE,
      });
  });

  it('every custom object is of a kind crds.json names, and validates against its CRD model, or without the CRD file against the operator API types package', async () => {
    const { results } = await renderOnce(values);
    const known = new Set(crdManifest().flatMap((crd) => crd.kinds));
    const custom = results.filter((result) => result.source !== 'kubernetes');
    expect(
      custom.filter((result) => !known.has(`${result.apiVersion} ${result.kind}`)).map((result) => result.name),
    ).toEqual([]);
    expect(invalid(custom.filter((result) => result.source !== 'none'))).toEqual([]);
    const partial = [
      ...new Set(
        custom
          .filter((result) => result.source === 'crd-package-partial')
          .map((result) => `${result.apiVersion} ${result.kind} (${result.judged ?? '?'} only)`),
      ),
    ];
    if (partial.length > 0)
      console.warn(
        `${values.name}: without the CRD file, partly validated: ${partial.join(', ')} (charts/tests/crds/README.md)`,
      );
    const missing = [
      ...new Set(
        custom.filter((result) => result.source === 'none').map((result) => `${result.apiVersion} ${result.kind}`),
      ),
    ];
    // Absent CRD files are named here (see charts/tests/crds/README.md for where they come from); present ones must judge.
    if (missing.length > 0)
      console.warn(
        `${values.name}: no CRD file for ${missing.join(', ')}: not validated (charts/tests/crds/README.md)`,
      );
    for (const kind of missing) {
      const crd = crdManifest().find((candidate) => candidate.kinds.includes(kind));
      expect(crdFiles().has(crd?.file ?? '')).toBe(false);
    }
  });

  it('runs every workload as non-root, RuntimeDefault seccomp, no privilege escalation, all capabilities dropped, read-only root (but in dev), with memory bounds', async () => {
    const { objects } = await renderOnce(values);
    const problems: string[] = [];
    for (const workload of objects.filter((object) => WORKLOAD_KINDS.includes(object.kind))) {
      const pod = template(workload).spec;
      const where = `${workload.kind}/${workload.metadata.name}`;
      if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
        problems.push(`${where}: no RuntimeDefault seccomp profile`);
      for (const container of pod.containers) {
        const context = container.securityContext ?? {};
        if (context['allowPrivilegeEscalation'] !== false)
          problems.push(`${where}/${container.name}: allowPrivilegeEscalation`);
        if (JSON.stringify((context['capabilities'] as { drop?: string[] } | undefined)?.drop) !== '["ALL"]')
          problems.push(`${where}/${container.name}: capabilities not dropped`);
        if (values.name !== 'dev' && context['readOnlyRootFilesystem'] !== true)
          problems.push(`${where}/${container.name}: writable root filesystem`);
        if (!container.resources?.requests?.['memory'] || !container.resources.limits?.['memory'])
          problems.push(`${where}/${container.name}: no memory request and limit`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs the platform image the values name (the digest when one is set)', async () => {
    const { objects, values: v } = await renderOnce(values);
    const digest = at(v, 'image.digest') as string;
    const expected = `${at(v, 'image.repository') as string}${digest ? `@${digest}` : `:${(at(v, 'image.tag') as string) || '0.1.0'}`}`;
    const images = new Set(
      objects
        .filter((object) => WORKLOAD_KINDS.includes(object.kind) && component(object) !== 'redis')
        .flatMap((object) => template(object).spec.containers.map((container) => container.image)),
    );
    expect([...images]).toEqual([expected]);
  });

  it('gives each gRPC service its own CloudNativePG managed role (no superuser, CREATEROLE or CREATEDB; pg_monitor for replication only) and Secret, which its pods log in with; the migration Jobs log in as the owner', async () => {
    const { objects, values: v } = await renderOnce(values);
    const owner = at(v, 'postgres.owner') as string;
    const enabled = GRPC_SERVICES.filter((name) => at(v, `services.${name}.enabled`) === true);
    expect(enabled.length).toBeGreaterThan(0);
    const [cluster] = byKind(objects, 'Cluster');
    const spec = cluster?.spec as {
      managed?: { roles?: Record<string, unknown>[] };
      bootstrap?: { initdb?: { postInitApplicationSQL?: string[] } };
    };
    const roles = spec.managed?.roles ?? [];
    expect(roles.map((role) => role['name']).sort()).toEqual(enabled.map((name) => `${owner}_${name}`).sort());
    // The owner role is no longer granted anything at bootstrap: pg_monitor went to the replication role.
    expect((spec.bootstrap?.initdb?.postInitApplicationSQL ?? []).filter((sql) => /GRANT/i.test(sql))).toEqual([]);
    for (const name of enabled) {
      const roleName = `${owner}_${name}`;
      const role = roles.find((candidate) => candidate['name'] === roleName) as Record<string, unknown>;
      expect({
        role: roleName,
        ensure: role['ensure'],
        login: role['login'],
        superuser: role['superuser'],
        createrole: role['createrole'],
        createdb: role['createdb'],
        replication: role['replication'],
        bypassrls: role['bypassrls'],
        inRoles: role['inRoles'],
      }).toEqual({
        role: roleName,
        ensure: 'present',
        login: true,
        superuser: false,
        createrole: false,
        createdb: false,
        replication: false,
        bypassrls: false,
        inRoles: name === 'replication' ? ['pg_monitor'] : [],
      });
      const secretName = (role['passwordSecret'] as { name: string }).name;
      const secret = objects.find((object) => object.kind === 'Secret' && object.metadata.name === secretName);
      expect({
        role: roleName,
        type: secret?.['type'],
        username: Buffer.from((secret?.['data'] as Record<string, string>)['username'] ?? '', 'base64').toString(
          'utf8',
        ),
      }).toEqual({ role: roleName, type: 'kubernetes.io/basic-auth', username: roleName });
      const password = Buffer.from((secret?.['data'] as Record<string, string>)['password'] ?? '', 'base64').toString(
        'utf8',
      );
      expect(password.length).toBeGreaterThanOrEqual(32);

      const deployment = byKind(objects, 'Deployment').find((workload) => processOf(objects, workload) === name);
      const pod = containerEnv(objects, podSpec(deployment as KubeObject).containers[0] as never);
      expect({
        service: name,
        user: pod['PGUSER'],
        password: pod['PGPASSWORD'] === password,
        urlUser: new URL(pod['DATABASE_URL'] ?? '').username,
        migrates: pod['MIGRATE_ON_START'],
      }).toEqual({ service: name, user: roleName, password: true, urlUser: '', migrates: 'false' });
      const job = byKind(objects, 'Job').find((workload) => workload.metadata.name.includes(`-migrate-${name}-`));
      if (at(v, 'migrations.enabled') === true && at(v, `services.${name}.migrate`) === true) {
        const migration = containerEnv(objects, podSpec(job as KubeObject).containers[0] as never);
        expect({
          service: name,
          user: migration['PGUSER'],
          confines: migration['DATABASE_SERVICE_ROLE'],
          password: migration['PGPASSWORD'] === password,
        }).toEqual({ service: name, user: owner, confines: roleName, password: false });
      }
    }
    // Each service's expired idempotency keys are deleted hourly by a CronJob that runs its sweep as the owner.
    const sweeps = byKind(objects, 'CronJob');
    expect(sweeps.map((cron) => cron.metadata.name).sort()).toEqual(
      enabled
        .map((name) =>
          `${RELEASE}-mch-alliance-sweep-${name}`.replace(
            `${RELEASE}-mch-alliance`,
            sweeps[0]?.metadata.name.replace(/-sweep-.*$/, '') ?? '',
          ),
        )
        .sort(),
    );
    for (const cron of sweeps) {
      const container = (
        cron.spec as { jobTemplate: { spec: { template: { spec: { containers: { args: string[] }[] } } } } }
      ).jobTemplate.spec.template.spec.containers[0];
      const env = containerEnv(objects, container as never);
      const service = cron.metadata.name.replace(/^.*-sweep-/, '');
      expect({ cron: cron.metadata.name, args: container?.args, user: env['PGUSER'] }).toEqual({
        cron: cron.metadata.name,
        args: [`dist/services/${service}/src/main.js`, 'sweep'],
        user: owner,
      });
    }
    // A service role's password reaches that service's pods and nothing else.
    const secretOf = new Map(
      roles.map((role) => [
        (role['passwordSecret'] as { name: string }).name,
        (role['name'] as string).slice(owner.length + 1),
      ]),
    );
    for (const workload of objects.filter((object) => WORKLOAD_KINDS.includes(object.kind))) {
      const holders = podSpec(workload)
        .containers.flatMap((container) =>
          ((container as { env?: { valueFrom?: { secretKeyRef?: { name: string } } }[] }).env ?? []).map(
            (variable) => variable.valueFrom?.secretKeyRef?.name,
          ),
        )
        .flatMap((ref) => (ref !== undefined && secretOf.has(ref) ? [secretOf.get(ref) as string] : []));
      const own =
        workload.kind === 'Deployment' && enabled.includes(processOf(objects, workload) as never)
          ? [processOf(objects, workload)]
          : [];
      expect({ workload: workload.metadata.name, holders }).toEqual({ workload: workload.metadata.name, holders: own });
    }
  });

  it('probes every long-running container: gRPC services and agents with native gRPC probes on their port, the gateway over HTTP', async () => {
    const { objects } = await renderOnce(values);
    const problems: string[] = [];
    for (const workload of objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet')) {
      for (const container of template(workload).spec.containers) {
        const where = `${workload.metadata.name}/${container.name}`;
        if (!container.readinessProbe || !container.livenessProbe)
          problems.push(`${where}: missing readiness or liveness probe`);
        const grpcPort = container.ports?.find((port) => port.name === 'grpc')?.containerPort;
        if (
          grpcPort !== undefined &&
          (container.readinessProbe?.['grpc'] as { port?: number } | undefined)?.port !== grpcPort
        )
          problems.push(`${where}: readiness is not a gRPC probe on ${grpcPort}`);
        if (
          component(workload) === 'gateway' &&
          (container.readinessProbe?.['httpGet'] as { path?: string } | undefined)?.path !== '/readyz'
        )
          problems.push(`${where}: gateway readiness is not GET /readyz`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every Service selects pods of a workload and targets a port those pods declare', async () => {
    const { objects } = await renderOnce(values);
    const workloads = objects.filter((object) => WORKLOAD_KINDS.includes(object.kind));
    const problems: string[] = [];
    for (const service of byKind(objects, 'Service')) {
      const spec = service.spec as {
        selector: Record<string, string>;
        ports: { port: number; targetPort?: string | number }[];
      };
      const backing = workloads.filter((workload) =>
        selects({ matchLabels: spec.selector }, template(workload).metadata.labels),
      );
      if (backing.length === 0) problems.push(`${service.metadata.name}: selects no pods`);
      for (const port of spec.ports) {
        const target = port.targetPort ?? port.port;
        const declared = backing.some((workload) =>
          template(workload).spec.containers.some((container) =>
            container.ports?.some((candidate) => candidate.name === target || candidate.containerPort === target),
          ),
        );
        if (!declared)
          problems.push(`${service.metadata.name}: port ${port.port} -> ${String(target)} is no container port`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('spreads every Deployment over zones with a selector that matches its own pods; prod makes it a hard rule', async () => {
    const { objects, values: v } = await renderOnce(values);
    const spread = at(v, 'topology.spread.enabled') as boolean;
    // Redis is one cache pod (values.yaml: "Only a cache"), not spread.
    for (const deployment of byKind(objects, 'Deployment').filter((candidate) => component(candidate) !== 'redis')) {
      const pod = template(deployment);
      const zone = pod.spec.topologySpreadConstraints?.find(
        (constraint) => constraint.topologyKey === 'topology.kubernetes.io/zone',
      );
      if (!spread) {
        expect(zone).toBeUndefined();
        continue;
      }
      expect({
        deployment: deployment.metadata.name,
        matchesOwnPods: zone ? selects(zone.labelSelector, pod.metadata.labels) : false,
      }).toEqual({ deployment: deployment.metadata.name, matchesOwnPods: true });
      expect(zone?.whenUnsatisfiable).toBe(at(v, 'topology.spread.whenUnsatisfiable'));
    }
    if (values.name.startsWith('prod') || values.name === 'ci')
      expect(at(v, 'topology.spread.whenUnsatisfiable')).toBe('DoNotSchedule');
  });

  it('gives each Deployment with pdb.enabled a PodDisruptionBudget over exactly its pods, and an HPA that scales it', async () => {
    const { objects, values: v } = await renderOnce(values);
    const pdbs = byKind(objects, 'PodDisruptionBudget');
    const hpas = byKind(objects, 'HorizontalPodAutoscaler');
    for (const deployment of byKind(objects, 'Deployment')) {
      const name = component(deployment);
      const pod = template(deployment);
      const covering = pdbs.filter((pdb) =>
        selects((pdb.spec as { selector: Record<string, string> }).selector as never, pod.metadata.labels),
      );
      expect({ name, pdbs: covering.length }).toEqual({ name, pdbs: at(v, `services.${name}.pdb.enabled`) ? 1 : 0 });
      const scaling = hpas.filter(
        (hpa) =>
          (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef.name ===
          deployment.metadata.name,
      );
      expect({ name, hpas: scaling.length }).toEqual({
        name,
        hpas: at(v, `services.${name}.autoscaling.enabled`) ? 1 : 0,
      });
    }
  });

  it("runs one object store agent per data zone, pinned there, on a PersistentVolumeClaim of the zone's StorageClass, never emptyDir", async () => {
    const { objects, values: v } = await renderOnce(values);
    if (!(at(v, 'services.replication.enabled') && at(v, 'objectStore.enabled')))
      return expect(byKind(objects, 'StatefulSet').filter((set) => component(set) === 'objects')).toEqual([]);
    const zones = at(v, 'topology.dataZones') as { name: string; zone: string; storageClassName: string }[];
    const agents = byKind(objects, 'StatefulSet').filter((set) => component(set) === 'objects');
    expect(agents.map((agent) => agent.metadata.name).sort()).toEqual(
      zones.map((zone) => `${RELEASE}-objects-${zone.name}`).sort(),
    );
    for (const zone of zones) {
      const agent = agents.find(
        (candidate) => candidate.metadata.name === `${RELEASE}-objects-${zone.name}`,
      ) as KubeObject;
      const spec = agent.spec as {
        volumeClaimTemplates: { metadata: { name: string }; spec: { storageClassName?: string } }[];
      };
      const pod = template(agent).spec;
      const dataMount = pod.containers[0]?.volumeMounts?.find((mount) => mount.mountPath === '/data');
      expect(dataMount).toBeDefined();
      expect(pod.volumes?.find((volume) => volume.name === dataMount?.name)).toBeUndefined();
      const claim = spec.volumeClaimTemplates.find((candidate) => candidate.metadata.name === dataMount?.name);
      expect(claim?.spec.storageClassName ?? '').toBe(zone.storageClassName);
      if (at(v, 'topology.pinDataToZones')) {
        const terms =
          pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
        expect(
          terms.flatMap((term) =>
            term.matchExpressions
              .filter((expression) => expression.key === 'topology.kubernetes.io/zone')
              .flatMap((expression) => expression.values),
          ),
        ).toEqual([zone.zone]);
      }
    }
  });

  it("every Deployment's and Job's rendered environment passes its own service's configuration loader", async () => {
    const { objects } = await renderOnce(values);
    const checked: string[] = [];
    for (const workload of objects.filter((object) => WORKLOAD_KINDS.includes(object.kind))) {
      if (component(workload) === 'redis') continue;
      const service = processOf(objects, workload);
      const loader = service.startsWith('objects-') ? loadStoreAgentConfig : LOADERS[service];
      expect({ workload: workload.metadata.name, service, hasLoader: loader !== undefined }).toEqual({
        workload: workload.metadata.name,
        service,
        hasLoader: true,
      });
      const env = containerEnv(objects, podSpec(workload).containers[0] as never);
      expect(() => loader?.(env)).not.toThrow();
      checked.push(workload.metadata.name);
    }
    expect(checked.length).toBeGreaterThan(5);
  });

  it("the replication service starts with the chart's configuration and reports status from a CloudNativePG Cluster", async () => {
    const { objects, values: v } = await renderOnce(values);
    const deployment = byKind(objects, 'Deployment').find(
      (candidate) => processOf(objects, candidate) === 'replication',
    );
    expect(deployment).toBeDefined();
    const config = loadReplicationConfig(
      containerEnv(objects, podSpec(deployment as KubeObject).containers[0] as never, NAMESPACE),
    );
    expect(config).toMatchObject({
      HA_ENGINE: 'cloudnative-pg',
      POSTGRES_CLUSTER: `${RELEASE}-pg`,
      POD_NAMESPACE: NAMESPACE,
    });
    // The durability the service reports is the one the Cluster enforces.
    const cluster = byKind(objects, 'Cluster')[0] as KubeObject;
    const synchronous = (cluster.spec as { postgresql: { synchronous?: { dataDurability: string } } }).postgresql
      .synchronous;
    if (synchronous) expect(DATA_DURABILITY[config.MCH_DURABILITY]).toBe(synchronous.dataDurability);
    const zones = (at(v, 'topology.dataZones') as { zone: string }[]).map((zone) => zone.zone);
    const api = new FakeKubeApi();
    api.cluster = healthyCluster([zones[0] as string, zones[1] as string]);
    const apiUrl = await api.start();
    try {
      const engine = new CloudNativePgEngine({
        cluster: config.POSTGRES_CLUSTER as string,
        namespace: config.POD_NAMESPACE as string,
        zones: config.CNPG_ZONES,
        apiUrl,
        token: () => TOKEN,
        standbys: async () => [
          { application_name: 'mch-pg-2', state: 'streaming', sync_state: 'quorum', lag_bytes: 0 },
        ],
      });
      const { status } = observe(
        await engine.cluster(),
        new Map(),
        config.MCH_DURABILITY,
        EMPTY_MEMORY,
        new Date(),
        engine.description,
      );
      expect(status).toMatchObject({ primaryZone: 'az-a', inSync: true, exposed: false, warnings: [] });
    } finally {
      await api.stop();
    }
  });

  it('every service that acts as itself gets a credential identity accepts (written by the Job, or from existingSecret)', async () => {
    const { objects, values: v } = await renderOnce(values);
    const envOf = (service: string): Record<string, string> => {
      const deployment = byKind(objects, 'Deployment').find(
        (candidate) => processOf(objects, candidate) === service,
      ) as KubeObject;
      return containerEnv(objects, podSpec(deployment).containers[0] as never, NAMESPACE);
    };
    const serviceSecret = envOf('identity')['MCH_SERVICE_SECRET'];
    for (const service of GRPC_SERVICES.filter((name) => name !== 'identity' && at(v, `services.${name}.enabled`))) {
      const credential = envOf(service)['MCH_SERVICE_CREDENTIAL'];
      expect({ service, hasCredential: Boolean(credential) }).toEqual({ service, hasCredential: true });
      // A generated secret can be checked; an existing one is the operator's (a placeholder here).
      if (!at(v, 'secrets.existingSecret'))
        expect({
          service,
          valid: verifyServiceCredential(serviceSecret as string, service, credential as string),
        }).toEqual({ service, valid: true });
    }
  });

  it('grants the replication service exactly what it does with the Kubernetes API: get its Cluster, patch its status', async () => {
    const { objects } = await renderOnce(values);
    const role = byKind(objects, 'Role').find(
      (candidate) => candidate.metadata.name === `${RELEASE}-replication`,
    ) as KubeObject;
    expect(role['rules']).toEqual([
      { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], resourceNames: [`${RELEASE}-pg`], verbs: ['get'] },
      {
        apiGroups: ['postgresql.cnpg.io'],
        resources: ['clusters/status'],
        resourceNames: [`${RELEASE}-pg`],
        verbs: ['patch'],
      },
    ]);
  });

  it('every gRPC service and store agent serves its metrics where the annotations and PodMonitors say, and the monitors select real pods', async () => {
    const { objects, values: v } = await renderOnce(values);
    const scrapedComponents = new Set<string>([...GRPC_SERVICES, 'objects']);
    const workloads = [...byKind(objects, 'Deployment'), ...byKind(objects, 'StatefulSet')].filter((workload) =>
      scrapedComponents.has(component(workload)),
    );
    const scraped = workloads.filter(
      (workload) => template(workload).metadata.annotations?.['prometheus.io/scrape'] === 'true',
    );
    expect(scraped.map((workload) => workload.metadata.name).sort()).toEqual(
      workloads.map((workload) => workload.metadata.name).sort(),
    );
    for (const workload of workloads) {
      const name = workload.metadata.name;
      const process = processOf(objects, workload);
      const env = containerEnv(objects, podSpec(workload).containers[0] as never, NAMESPACE);
      // The process's own configuration loader reads the port it will serve on.
      const config = (
        workload.kind === 'StatefulSet'
          ? loadStoreAgentConfig(env)
          : (LOADERS[process] as (e: NodeJS.ProcessEnv) => { METRICS_PORT: number; METRICS_HOST: string })(env)
      ) as { METRICS_PORT: number; METRICS_HOST: string };
      const port = template(workload).spec.containers[0]?.ports?.find(
        (candidate) => candidate.name === 'metrics',
      )?.containerPort;
      expect({ name, port, host: config.METRICS_HOST }).toEqual({ name, port: config.METRICS_PORT, host: '0.0.0.0' });
      expect({ name, annotated: Number(template(workload).metadata.annotations?.['prometheus.io/port']) }).toEqual({
        name,
        annotated: config.METRICS_PORT,
      });
    }
    const monitors = objects.filter((object) => object.apiVersion === 'monitoring.coreos.com/v1');
    if (!at(v, 'serviceMonitor.enabled')) expect(monitors).toEqual([]);
    else
      expect(monitors.filter((monitor) => monitor.kind === 'PodMonitor')).toHaveLength(
        new Set(workloads.map((workload) => processOf(objects, workload).replace(/^objects-.*/, 'objects'))).size,
      );
    for (const monitor of monitors) {
      const selector = (monitor.spec as { selector: { matchLabels: Record<string, string> } }).selector;
      const targets =
        monitor.kind === 'ServiceMonitor'
          ? byKind(objects, 'Service').map((service) => service.metadata.labels ?? {})
          : workloads.map((workload) => template(workload).metadata.labels);
      expect({
        monitor: monitor.metadata.name,
        targets: targets.filter((labels) => selects(selector, labels)).length > 0,
      }).toEqual({ monitor: monitor.metadata.name, targets: true });
    }
  });

  it('NOTES name the prerequisites and how to reach the gateway, the operator page and the metrics', async () => {
    const { values: v } = await renderOnce(values);
    const text = await notes(values);
    expect(text).toMatch(/CloudNativePG operator >= 1\.26/);
    expect(text).toMatch(/StorageClass .* in each\s+data zone/);
    if (at(v, 'ingress.enabled')) expect(text).toMatch(/an ingress controller/);
    if (at(v, 'postgres.backup.enabled')) expect(text).toMatch(/Barman Cloud Plugin >= 0\.14/);
    expect(text).toMatch(/port-forward svc\/mch-gateway 8080:8080/);
    expect(text).toMatch(/\/status/);
    expect(text).toMatch(/\/metrics/);
  });

  it("every call the code makes between enabled processes has its address in the caller's environment", async () => {
    const { objects, values: v } = await renderOnce(values);
    const enabled = (name: string): boolean =>
      name === 'objects'
        ? Boolean(at(v, 'services.replication.enabled') && at(v, 'objectStore.enabled'))
        : Boolean(at(v, `services.${name}.enabled`));
    const deployments = new Map(
      byKind(objects, 'Deployment').map((deployment) => [processOf(objects, deployment), deployment] as const),
    );
    const missing: string[] = [];
    for (const call of callGraph()) {
      if (call.from === 'objects' || !enabled(call.from) || !enabled(call.to)) continue;
      const deployment = deployments.get(call.from);
      const env = deployment ? containerEnv(objects, podSpec(deployment).containers[0] as never) : {};
      if (!env[call.key]) missing.push(`${call.from} -> ${call.to}: ${call.key} not set`);
    }
    expect(missing).toEqual([]);
  });

  it('NetworkPolicies allow every call the code makes, and beyond those only the documented infrastructure flows', async () => {
    const { objects, values: v } = await renderOnce(values);
    if (!at(v, 'networkPolicy.enabled')) return expect(byKind(objects, 'NetworkPolicy')).toEqual([]);
    const graph = networkGraph(objects, v);
    const notAllowed = graph.expected
      .filter((flow) => !allowed(objects, flow.from, flow.to, flow.port))
      .map(describeFlow);
    expect(notAllowed).toEqual([]);
    const expectedKeys = new Set(graph.expected.map(describeFlow));
    const extra: string[] = [];
    for (const from of graph.endpoints) {
      for (const to of graph.endpoints) {
        if (from === to) continue;
        for (const port of graph.ports) {
          const flow = { from, to, port };
          if (
            allowed(objects, from, to, port) &&
            !expectedKeys.has(describeFlow(flow)) &&
            (from.namespace?.name === NAMESPACE || to.namespace?.name === NAMESPACE)
          )
            extra.push(describeFlow(flow));
        }
      }
    }
    expect(extra).toEqual([]);
  });
});

interface Flow {
  from: Endpoint;
  to: Endpoint;
  port: Port;
}

const describeFlow = (flow: Flow): string =>
  `${flow.from.name} -> ${flow.to.name}:${flow.port.port}/${flow.port.protocol}`;

/**
 * The endpoints around the release (its pods, CloudNativePG's instance pods, the cluster's DNS, ingress controller,
 * operator, collector, Prometheus, the API server and the backup store) and the flows expected between them: the
 * calls of callGraph() and the documented infrastructure flows (README.md, "Network policies").
 */
function networkGraph(
  objects: readonly KubeObject[],
  v: Values,
): { endpoints: Endpoint[]; ports: Port[]; expected: Flow[] } {
  const ns = (name: string): Endpoint['namespace'] => ({ name, labels: { 'kubernetes.io/metadata.name': name } });
  const np = (key: string): unknown => at(v, `networkPolicy.${key}`);
  const external = (name: string, key: string): Endpoint => ({
    name,
    namespace: ns(np(`${key}.namespace`) as string),
    labels: np(`${key}.podLabels`) as Record<string, string>,
  });
  const pods = new Map<string, Endpoint>();
  const portsOf = new Map<string, Port[]>();
  for (const workload of objects.filter((object) => WORKLOAD_KINDS.includes(object.kind))) {
    const name =
      workload.kind === 'Job' && component(workload) === 'migrations'
        ? `migrate-${processOf(objects, workload)}`
        : workload.kind === 'Job'
          ? component(workload)
          : workload.kind === 'StatefulSet' && component(workload) === 'objects'
            ? processOf(objects, workload)
            : component(workload);
    pods.set(name, { name, namespace: ns(NAMESPACE), labels: template(workload).metadata.labels });
    portsOf.set(
      name,
      template(workload).spec.containers.flatMap((container) =>
        (container.ports ?? []).map((port) => ({
          port: port.containerPort,
          protocol: (port.protocol ?? 'TCP') as 'TCP',
          name: port.name,
        })),
      ),
    );
  }
  const cluster = byKind(objects, 'Cluster')[0];
  const pgLabels = {
    ...((cluster?.spec as { inheritedMetadata?: { labels?: Record<string, string> } })?.inheritedMetadata?.labels ??
      {}),
    'cnpg.io/cluster': cluster?.metadata.name ?? '?',
    'cnpg.io/podRole': 'instance',
  };
  const pgA: Endpoint = {
    name: 'postgres-1',
    namespace: ns(NAMESPACE),
    labels: { ...pgLabels, 'cnpg.io/instanceName': 'pg-1' },
  };
  const pgB: Endpoint = {
    name: 'postgres-2',
    namespace: ns(NAMESPACE),
    labels: { ...pgLabels, 'cnpg.io/instanceName': 'pg-2' },
  };
  const dns = external('dns', 'dns');
  const ingress = external('ingress-controller', 'ingressController');
  const operator = external('cnpg-operator', 'cnpgOperator');
  const otel = external('otel-collector', 'otelCollector');
  const prometheus = external('prometheus', 'monitoring');
  const apiCidrs =
    (np('kubeApiServer.cidrs') as string[]).length > 0 ? (np('kubeApiServer.cidrs') as string[]) : ['0.0.0.0/0'];
  const apiServer: Endpoint = {
    name: 'kube-apiserver',
    ip: (apiCidrs[0] as string).replace(/\/\d+$/, '').replace(/^0\.0\.0\.0$/, '10.96.0.1'),
  };
  const backupCidrs = np('backupStorage.cidrs') as string[];
  const backupStore: Endpoint = {
    name: 'backup-store',
    ip: backupCidrs.length > 0 ? (backupCidrs[0] as string).replace(/\/\d+$/, '') : '203.0.113.9',
  };
  const somewhere: Endpoint = { name: 'elsewhere', ip: '203.0.113.200' };
  const endpoints = [
    ...pods.values(),
    pgA,
    pgB,
    dns,
    ingress,
    operator,
    otel,
    prometheus,
    apiServer,
    backupStore,
    somewhere,
  ];
  // Without the API server's addresses (nothing set, no cluster to look them up), its ports are open to any address:
  // the documented fallback of networkPolicy.kubeApiServer.anyAddressWhenUnknown.
  const apiServers = apiCidrs[0] === '0.0.0.0/0' ? endpoints.filter((endpoint) => endpoint.ip) : [apiServer];

  const tcp = (port: number): Port => ({ port, protocol: 'TCP' });
  const pgPort = tcp(5432);
  const expected: Flow[] = [];
  const add = (from: Endpoint | undefined, to: Endpoint | undefined, port: Port): void => {
    if (from && to) expected.push({ from, to, port });
  };
  const grpcPortOf = (name: string): Port | undefined => portsOf.get(name)?.find((port) => port.name === 'grpc');
  // The calls the code makes.
  for (const call of callGraph()) {
    const callers =
      call.from === 'objects' ? [...pods.keys()].filter((name) => name.startsWith('objects-')) : [call.from];
    const callees = call.to === 'objects' ? [...pods.keys()].filter((name) => name.startsWith('objects-')) : [call.to];
    for (const caller of callers)
      for (const callee of callees) add(pods.get(caller), pods.get(callee), grpcPortOf(callee) ?? tcp(0));
  }
  const platform = [...pods.values()];
  for (const pod of [...platform, pgA, pgB]) {
    add(pod, dns, { port: at(v, 'networkPolicy.dns.port') as number, protocol: 'UDP' });
    add(pod, dns, tcp(at(v, 'networkPolicy.dns.port') as number));
  }
  for (const [name, pod] of pods) {
    const workload = objects.find(
      (object) => WORKLOAD_KINDS.includes(object.kind) && template(object).metadata.labels === pod.labels,
    ) as KubeObject;
    const env = containerEnv(objects, podSpec(workload).containers[0] as never);
    if (env['DATABASE_URL']) for (const pg of [pgA, pgB]) add(pod, pg, pgPort);
    if (env['REDIS_URL']) add(pod, pods.get('redis'), tcp(at(v, 'redis.port') as number));
    if (env['OTEL_EXPORTER_OTLP_ENDPOINT']) add(pod, otel, tcp(np('otelCollector.port') as number));
    if (name === 'replication' || name === 'credentials')
      for (const target of apiServers)
        for (const port of np('kubeApiServer.ports') as number[]) add(pod, target, tcp(port));
  }
  add(ingress, pods.get('gateway'), tcp(at(v, 'config.httpPort') as number));
  for (const pg of [pgA, pgB]) {
    for (const peer of [pgA, pgB]) if (peer !== pg) for (const port of [5432, 8000]) add(pg, peer, tcp(port));
    for (const port of [5432, 8000]) add(operator, pg, tcp(port));
    for (const target of apiServers)
      for (const port of np('kubeApiServer.ports') as number[]) add(pg, target, tcp(port));
    if (at(v, 'postgres.backup.enabled'))
      for (const port of np('backupStorage.ports') as number[]) add(pg, backupStore, tcp(port));
    if (np('monitoring.enabled')) add(prometheus, pg, tcp(9187));
  }
  if (np('monitoring.enabled')) {
    add(prometheus, pods.get('gateway'), tcp(at(v, 'config.httpPort') as number));
    // Every pod that declares a metrics port (each gRPC service, each store agent) is scraped there.
    for (const [name, list] of portsOf) {
      const metrics = list.find((port) => port.name === 'metrics');
      if (metrics) add(prometheus, pods.get(name), metrics);
    }
  }

  const ports = new Map<string, Port>();
  for (const flow of expected) ports.set(`${flow.port.port}/${flow.port.protocol}`, flow.port);
  for (const list of portsOf.values()) for (const port of list) ports.set(`${port.port}/${port.protocol}`, port);
  for (const port of [9187, 443, 6443, 22, 80]) ports.set(`${port}/TCP`, tcp(port));
  return { endpoints, ports: [...ports.values()], expected };
}

it("the services named in the call graph are the chart's gRPC services, the gateway and the store agents", () => {
  const names = new Set(callGraph().flatMap((call) => [call.from, call.to]));
  expect([...names].filter((name) => ![...GRPC_SERVICES, 'gateway', 'objects'].includes(name as never))).toEqual([]);
  expect(existsSync(path.join(CHART_DIR, 'values.schema.json'))).toBe(true);
});
