// The chart as a real helm renders it: `helm lint --strict` and `helm template` with the binary the repository
// pins (.tools/bin/helm, or $MCH_HELM), the output parsed into objects for the tests to read.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../../services/platform/src/k8s-tools';
import { CHART_DIR } from './chart';

const run = promisify(execFile);

/** The Kubernetes version the renders claim (`--kube-version`): the schemas of kubernetes-models 5.x are v1.36. */
export const KUBE_VERSION = '1.36.0';
export const RELEASE = 'mch';
export const NAMESPACE = 'mch';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A set of values a test renders with: files relative to the chart, and `--set` pairs. */
export interface ValuesSet {
  readonly name: string;
  readonly files: readonly string[];
  readonly set?: Readonly<Record<string, string>>;
}

/**
 * The production minimum README.md documents ("Values you must set"): what values-prod.yaml leaves to the cluster.
 * Kept as `--set` pairs so the list itself is what an operator types.
 */
export const PROD_MINIMUM: Readonly<Record<string, string>> = {
  'image.repository': 'registry.example.org/mch/mch-alliance',
  'ingress.host': 'api.mch.example.org',
  'topology.dataZones[0].name': 'a',
  'topology.dataZones[0].zone': 'zone-a',
  'topology.dataZones[1].name': 'b',
  'topology.dataZones[1].zone': 'zone-b',
  'networkPolicy.kubeApiServer.cidrs[0]': '192.0.2.10/32',
  'networkPolicy.backupStorage.cidrs[0]': '198.51.100.0/24',
  'postgres.backup.destinationPath': 's3://mch-pg-backups/',
};

export const VALUES_SETS: readonly ValuesSet[] = [
  { name: 'defaults', files: [] },
  { name: 'dev', files: ['values-dev.yaml'] },
  { name: 'prod-minimum', files: ['values-prod.yaml'], set: PROD_MINIMUM },
  { name: 'ci', files: ['values-prod.yaml', 'ci/prod-example-values.yaml'] },
];

function valuesArgs(values: ValuesSet): string[] {
  const args: string[] = [];
  for (const file of values.files) args.push('-f', path.join(CHART_DIR, file));
  for (const [key, value] of Object.entries(values.set ?? {})) args.push('--set-string', `${key}=${value}`);
  return args;
}

export interface HelmResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

async function helm(args: readonly string[]): Promise<HelmResult> {
  const binary = await helmBinary();
  try {
    const { stdout, stderr } = await run(binary, [...args], {
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        HELM_CACHE_HOME: path.join(CHART_DIR, '..', '..', '.tools', 'helm-cache'),
        HELM_CONFIG_HOME: path.join(CHART_DIR, '..', '..', '.tools', 'helm-config'),
      },
    });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: failed.stdout ?? '', stderr: failed.stderr || failed.message };
  }
}

export function lint(values: ValuesSet): Promise<HelmResult> {
  return helm([
    'lint',
    '--strict',
    CHART_DIR,
    '--kube-version',
    KUBE_VERSION,
    '--namespace',
    NAMESPACE,
    ...valuesArgs(values),
  ]);
}

/** `helm template` output, or the error helm printed. */
export function template(values: ValuesSet, extraArgs: readonly string[] = []): Promise<HelmResult> {
  return helm([
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...valuesArgs(values),
    ...extraArgs,
  ]);
}

export function parseObjects(manifest: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const document of parseAllDocuments(manifest)) {
    if (document.errors.length > 0)
      throw new Error(`helm rendered invalid YAML: ${document.errors.map((error) => error.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) objects.push(value as KubeObject);
  }
  return objects;
}

/** The rendered objects of a values set; throws with helm's message when it refuses to render. */
export async function render(values: ValuesSet, extraArgs: readonly string[] = []): Promise<KubeObject[]> {
  const result = await template(values, extraArgs);
  if (!result.ok) throw new Error(`helm template (${values.name}) failed: ${result.stderr}`);
  return parseObjects(result.stdout);
}

/** NOTES.txt as `helm install` prints it (a client-side dry run: `helm template` does not render NOTES). */
export async function notes(values: ValuesSet): Promise<string> {
  const result = await helm([
    'install',
    RELEASE,
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    '--dry-run=client',
    ...valuesArgs(values),
  ]);
  if (!result.ok) throw new Error(`helm install --dry-run (${values.name}) failed: ${result.stderr}`);
  const start = result.stdout.indexOf('NOTES:');
  if (start < 0) throw new Error('helm printed no NOTES');
  return result.stdout.slice(start);
}

export function byKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function named(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} among ${objects.map((object) => `${object.kind}/${object.metadata.name}`).join(', ')}`,
    );
  return found;
}
