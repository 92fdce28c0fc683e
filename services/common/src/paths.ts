// Where the repository's non-compiled files (protos, migrations, seed data) live at run time.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

let cachedRoot: string | undefined;

/** The repository root: the nearest ancestor with the platform's package.json (works from src and dist). */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mch-alliance'
    ) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`repository root not found above ${__dirname}`);
    dir = parent;
  }
}

export function protoDir(): string {
  return path.join(repoRoot(), 'proto');
}

export function serviceDir(service: string): string {
  return path.join(repoRoot(), 'services', service);
}
