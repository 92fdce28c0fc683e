// Resident memory of the running platform's processes, as `npm start` runs them (its run dir's pid files).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from '../../services/platform/src/platform';
import { memoryOf, processTree } from '../../services/platform/src/proc';
import { postmasterPid, ZONES } from '../../services/platform/src/patroni';

export interface ComponentMemory {
  component: string;
  processes: number;
  rssMiB: number;
  pssMiB: number;
}

/** Resident memory of every platform process (the components' pid files, PostgreSQL's postmasters), as `npm start` runs them. */
export function platformMemory(): ComponentMemory[] {
  const dataDir = defaultDataDir();
  const runDir = path.join(dataDir, 'run');
  if (!existsSync(runDir)) return [];
  const rows: ComponentMemory[] = [];
  for (const file of readdirSync(runDir)
    .filter((name) => name.endsWith('.pid'))
    .sort()) {
    const component = file.replace(/\.pid$/, '');
    let pid: number | undefined;
    try {
      pid = (JSON.parse(readFileSync(path.join(runDir, file), 'utf8')) as { pid?: number }).pid;
    } catch {
      pid = undefined;
    }
    if (pid === undefined) continue;
    const roots = [
      pid,
      ...((ZONES as readonly string[]).includes(component)
        ? [postmasterPid(dataDir, component as (typeof ZONES)[number])].filter((p): p is number => p !== undefined)
        : []),
    ];
    const pids = processTree(roots);
    const memory = memoryOf(pids);
    rows.push({
      component,
      processes: pids.length,
      rssMiB: Math.round(memory.rssKiB / 1024),
      pssMiB: Math.round(memory.pssKiB / 1024),
    });
  }
  return rows;
}
