// `npm run seed -- --scale 1`: seeds a running platform with a prefecture-scale population through each service's
// bulk import path, with a progress bar and the time left. Options: --scale (1 = 30,000 pregnancies and 200,000
// children), --seed, --batch (families per call), --concurrency, --fresh (ignore the progress file). The platform is
// found through MCH_DATA_DIR (its platform.json and secrets.json), as `npm start` leaves them.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from '../../services/platform/src/platform';
import { platformConnection, seed, SeedProgress } from './seed';

function flag(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** One line, redrawn: bar, families, rows/s and the time left at the rate so far. */
export function progressLine(p: SeedProgress): string {
  const fraction = p.families === 0 ? 1 : p.familiesDone / p.families;
  const width = 30;
  const filled = Math.round(fraction * width);
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? p.rows / seconds : 0;
  const left = fraction > 0 && fraction < 1 ? (p.elapsedMs / fraction) * (1 - fraction) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% families ${p.familiesDone.toLocaleString('en')}/${p.families.toLocaleString('en')} · ${p.rows.toLocaleString('en')} rows · ${Math.round(rate).toLocaleString('en')} rows/s · ${duration(p.elapsedMs)} elapsed · ${fraction < 1 ? `${duration(left)} left` : 'done'}`;
}

async function main(args: readonly string[]): Promise<void> {
  const scale = Number(flag(args, '--scale') ?? 1);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 7) throw new Error('--scale must be a number in (0, 7]');
  const seedName = flag(args, '--seed') ?? 'chuxiong';
  const batch = Number(flag(args, '--batch') ?? 250);
  const concurrency = Number(flag(args, '--concurrency') ?? 3);
  const dataDir = defaultDataDir();
  const connection = platformConnection(dataDir);
  const progressFile = args.includes('--fresh')
    ? undefined
    : path.join(dataDir, 'seed', `progress-${seedName}-${scale}.json`);
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const result = await seed({
    scale,
    seed: seedName,
    batch,
    concurrency,
    ...connection,
    progressFile,
    onProgress: (p) => {
      const now = Date.now();
      if (!tty && now - lastLine < 10_000 && p.familiesDone < p.families) return;
      lastLine = now;
      process.stderr.write(tty ? `\r${progressLine(p)}\x1b[K` : `${progressLine(p)}\n`);
    },
  });
  if (tty) process.stderr.write('\n');
  const seconds = result.elapsedMs / 1000;
  const summary = {
    ...result,
    plan: {
      seed: result.plan.seed,
      today: result.plan.today,
      pregnancies: result.plan.pregnancies,
      families: result.plan.families,
    },
    seconds: Math.round(seconds),
    rowsPerSecond: Math.round(result.rows / seconds),
    generatorPeakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    credential: connection.credential ? 'seeder service identity' : 'platform admin login',
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  // What `npm run bench -- --seeded` reads: which seeded people to read.
  mkdirSync(path.join(dataDir, 'seed'), { recursive: true });
  writeFileSync(path.join(dataDir, 'seed', 'last-summary.json'), JSON.stringify(summary, null, 2));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`\nseed failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
