// The generated code is produced by one command (`npm run gen`) and never edited: this fails when it is stale.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './paths';

const root = repoRoot();
const buf = path.join(root, 'node_modules/.bin/buf');

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(dir, relative))) {
      const child = path.join(relative, entry);
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else files.set(child, readFileSync(path.join(dir, child), 'utf8'));
    }
  };
  walk('');
  return files;
}

describe('protos and generated code', () => {
  it('pass buf lint', () => {
    expect(() => execFileSync(buf, ['lint'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  it.each([
    ['buf.gen.yaml', 'services/common/src/gen'],
    ['services/gateway/test/fixtures/buf.gen.yaml', 'services/gateway/test/fixtures/gen'],
  ])(
    '%s output is up to date in %s (run `npm run gen`)',
    (template, out) => {
      const scratch = mkdtempSync(path.join(tmpdir(), 'mch-gen-'));
      try {
        execFileSync(buf, ['generate', '--template', template, '-o', scratch], { cwd: root, stdio: 'pipe' });
        const fresh = filesUnder(path.join(scratch, out));
        const committed = filesUnder(path.join(root, out));
        expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
        for (const [file, text] of fresh) expect({ file, text: committed.get(file) }).toEqual({ file, text });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
