// Rendered objects against real schemas: the Kubernetes API's (kubernetes-models, pinned in package.json: Kubernetes
// v1.36 schemas) and, for custom objects, models that @kubernetes-models/crd-generate makes from the vendors' released
// CRDs in charts/tests/crds/. Models are generated once per CRD content into .tools/crd-models/<sha256>/.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './chart';
import type { KubeObject } from './helm';

const run = promisify(execFile);

export const CRD_DIR = path.join(REPO_ROOT, 'charts', 'tests', 'crds');
const MODELS_DIR = path.join(REPO_ROOT, '.tools', 'crd-models');
const VALIDATOR = path.join(__dirname, 'validate-objects.mjs');

export interface ValidationResult {
  readonly name: string;
  readonly apiVersion: string;
  readonly kind: string;
  /**
   * Which schema judged it: the Kubernetes API's, a vendor CRD's, a kubernetes-models package of the operator's API
   * types, such a package for one part of the object only (`judged` names the part), or none was found.
   */
  readonly source: 'kubernetes' | 'crd' | 'crd-package' | 'crd-package-partial' | 'none';
  /** For crd-package-partial: the part of the object that was judged (e.g. `spec.configuration`). */
  readonly judged?: string;
  readonly errors: readonly string[];
}

/**
 * Where vendor CRDs are looked for: charts/tests/crds/ (vendored), $MCH_CRD_DIR, and the shared data folder beside
 * the clone (`shared/data/k8s-crds`, where CI has a copy of shared/).
 */
export function crdDirs(): string[] {
  const dirs = [CRD_DIR, process.env['MCH_CRD_DIR'], path.join(REPO_ROOT, '..', 'shared', 'data', 'k8s-crds')];
  return dirs.filter((dir): dir is string => Boolean(dir) && existsSync(dir as string));
}

/** The CRD files found, by file name (the first directory that has a name wins). */
export function crdFiles(dirs = crdDirs()): Map<string, string> {
  const files = new Map<string, string>();
  for (const dir of dirs) {
    for (const file of readdirSync(dir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()) {
      if (!files.has(file)) files.set(file, path.join(dir, file));
    }
  }
  return files;
}

export interface CrdSource {
  readonly file: string;
  /** `apiVersion Kind` of each kind the file defines. */
  readonly kinds: readonly string[];
  readonly vendor: string;
  readonly version: string;
  readonly source: string;
  readonly licence: string;
  readonly sha256: string;
}

/** crds.json: which released CRD file defines each custom kind the chart can render. */
export function crdManifest(): CrdSource[] {
  return (JSON.parse(readFileSync(path.join(CRD_DIR, 'crds.json'), 'utf8')) as { crds: CrdSource[] }).crds;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Generates (once) the models of one CRD file; returns their directory. */
export async function crdModels(crdFile: string): Promise<string> {
  const digest = createHash('sha256').update(readFileSync(crdFile)).digest('hex').slice(0, 24);
  const target = path.join(MODELS_DIR, digest);
  if (existsSync(path.join(target, 'index.ts'))) return target;
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(MODELS_DIR, { recursive: true });
  const bin = path.join(REPO_ROOT, 'node_modules', '@kubernetes-models', 'crd-generate', 'bin', 'crd-generate.js');
  await run(process.execPath, [bin, '--input', crdFile, '--output', partial], { maxBuffer: 16 * 1024 * 1024 });
  if (existsSync(target)) rmSync(partial, { recursive: true, force: true });
  else renameSync(partial, target);
  return target;
}

/** Every object validated in one child process (see validate-objects.mjs for why a child). */
export async function validateObjects(
  objects: readonly KubeObject[],
  crdModelDirs: readonly string[],
): Promise<ValidationResult[]> {
  const child = run(process.execPath, [VALIDATOR], { maxBuffer: 64 * 1024 * 1024, cwd: REPO_ROOT });
  child.child.stdin?.end(JSON.stringify({ objects, crdModelDirs }));
  const { stdout } = await child;
  return JSON.parse(stdout) as ValidationResult[];
}

/** `Kind/name: message` for every object that did not validate. */
export function invalid(results: readonly ValidationResult[]): string[] {
  return results.flatMap((result) => result.errors.map((error) => `${result.name}: ${error}`));
}
