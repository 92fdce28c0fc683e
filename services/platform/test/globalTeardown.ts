// Jest global teardown: stops the run's platform, removes its data, and fails the run if a failover happened during it.
import { rmSync } from 'node:fs';
import { forgetTestPlatform, runningTestPlatform } from './globalSetup';
import { readTestPlatform } from './platform-env';

export default async function globalTeardown(): Promise<void> {
  const platform = runningTestPlatform();
  if (platform === undefined) return;
  const initial = readTestPlatform();
  let leaderChange: string | undefined;
  try {
    const status = await platform.status();
    if (status.leader !== initial.initialLeader || status.timeline !== initial.initialTimeline) {
      leaderChange =
        `leader changed during the test run: ${initial.initialLeader} timeline ${initial.initialTimeline} → ` +
        `${status.leader ?? 'none'} timeline ${status.timeline ?? '?'}`;
    }
  } catch (error) {
    leaderChange = `cluster unreachable at the end of the run: ${error instanceof Error ? error.message : String(error)}`;
  }
  await platform.stop();
  forgetTestPlatform();
  // MCH_TEST_KEEP_DATA=1 keeps data and component logs for a post-mortem.
  if (process.env['MCH_TEST_KEEP_DATA'] === '1') process.stderr.write(`[platform] kept ${platform.dataDir}\n`);
  else rmSync(platform.dataDir, { recursive: true, force: true });
  if (leaderChange !== undefined) throw new Error(leaderChange);
}
