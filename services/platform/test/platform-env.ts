// What the integration tests know about the platform that globalSetup started for the run.
import { readFileSync } from 'node:fs';
import type { PlatformEndpoints } from '../src/platform';
import type { Zone } from '../src/patroni';

export interface TestPlatform extends PlatformEndpoints {
  /** The data dir was empty when the platform started. */
  readonly startedFromEmpty: boolean;
  readonly coldStartMs: number;
  /** Leader and timeline when globalSetup finished: no test may cause a failover. */
  readonly initialLeader: Zone;
  readonly initialTimeline: number;
}

export const TEST_PLATFORM_ENV = 'MCH_TEST_PLATFORM';

export function readTestPlatform(): TestPlatform {
  const path = process.env[TEST_PLATFORM_ENV];
  if (path === undefined || path === '') {
    throw new Error(
      `${TEST_PLATFORM_ENV} is not set: run integration tests through jest's integration project (services/platform/test/globalSetup.ts)`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as TestPlatform;
}
