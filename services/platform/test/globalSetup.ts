// Jest global setup for integration tests: one two-zone platform on free ports in a fresh temp dir for the whole run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveControl } from '../src/control';
import { startPlatform, type Platform } from '../src/platform';
import type { Durability } from '../src/patroni';
import { PLATFORM_SERVICES, type PlatformServiceName, type ServiceRequest } from '../src/services';
import { TEST_PLATFORM_ENV, type TestPlatform } from './platform-env';

export interface TestPlatformOptions {
  /** Default: every platform service that is built. [] runs the platform without application services. */
  readonly services?: readonly ServiceRequest[];
  readonly durability?: Durability;
}

interface TestPlatformGlobals {
  __MCH_TEST_PLATFORM__?: Platform;
}

const globals = globalThis as TestPlatformGlobals;

function progress(line: string): void {
  process.stderr.write(`[platform] ${line}\n`);
}

/** MCH_TEST_SERVICES: `none`, or a comma-separated list of platform services. */
export function servicesFromEnvironment(value: string | undefined): readonly ServiceRequest[] | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'none') return [];
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(PLATFORM_SERVICES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`MCH_TEST_SERVICES names unknown services: ${unknown.join(', ')}`);
  return names as PlatformServiceName[];
}

export async function setupTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mch-test-'));
  const began = Date.now();
  let platform: Platform;
  try {
    platform = await startPlatform({
      dataDir,
      ports: 'free',
      durability: options.durability ?? 'available',
      ...(options.services === undefined ? {} : { services: options.services }),
      log: progress,
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  // Tests reach the platform through its control socket (e.g. stop and start a zone's object store agent).
  await serveControl(platform);
  const status = await platform.waitForSync();
  if (status.leader === undefined || status.timeline === undefined) throw new Error('platform up without a leader');
  const testPlatform: TestPlatform = {
    ...platform.endpoints,
    startedFromEmpty: true,
    coldStartMs: Date.now() - began,
    initialLeader: status.leader,
    initialTimeline: status.timeline,
  };
  const path = join(dataDir, 'test-platform.json');
  writeFileSync(path, `${JSON.stringify(testPlatform, null, 2)}\n`, { mode: 0o600 });
  process.env[TEST_PLATFORM_ENV] = path;
  globals.__MCH_TEST_PLATFORM__ = platform;
  progress(
    `up in ${(testPlatform.coldStartMs / 1000).toFixed(1)} s: leader ${status.leader}, sync standby ${status.syncStandby ?? 'none'}, data ${dataDir}`,
  );
  return testPlatform;
}

export function runningTestPlatform(): Platform | undefined {
  return globals.__MCH_TEST_PLATFORM__;
}

export function forgetTestPlatform(): void {
  delete globals.__MCH_TEST_PLATFORM__;
}

export default async function globalSetup(): Promise<void> {
  await setupTestPlatform({ services: servicesFromEnvironment(process.env['MCH_TEST_SERVICES']) });
}
