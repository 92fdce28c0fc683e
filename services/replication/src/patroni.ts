// The HA engine's REST API (Patroni): the cluster view and planned switchovers. Any member's API answers
// for the whole cluster, so each is tried in turn.
import { FailedPreconditionError, UnavailableError } from '../../common/src/errors';
import type { EngineMember } from './domain/status';
import type { HaEngine } from './engine';

const REQUEST_TIMEOUT_MS = 1_500;
const PROBE_TIMEOUT_MS = 500;

export class PatroniClient implements HaEngine {
  readonly description = 'Patroni REST API';

  constructor(private readonly apiUrls: readonly string[]) {}

  /**
   * The members as the engine's shared view lists them, each also probed on its own API: a member killed a
   * moment ago stays listed until its key in the DCS expires, but no longer answers.
   */
  async cluster(): Promise<EngineMember[] | undefined> {
    for (const url of this.apiUrls) {
      try {
        const response = await fetch(`${url}/cluster`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        if (!response.ok) continue;
        const body = (await response.json()) as { members?: Array<EngineMember & { api_url?: string }> };
        return Promise.all(
          (body.members ?? []).map(async (member) => ({
            ...member,
            reachable: member.api_url ? await this.answers(member.api_url) : true,
          })),
        );
      } catch {
        // this zone's API is down; ask the other
      }
    }
    return undefined;
  }

  private async answers(apiUrl: string): Promise<boolean> {
    try {
      const response = await fetch(`${new URL(apiUrl).origin}/liveness`, {
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      return response.ok;
    } catch {
      return false;
    }
  }

  /** Asks the engine to hand the leader role from `leader` to `candidate`; resolves when it accepted. */
  async switchover(leader: string, candidate: string): Promise<string> {
    let lastError = 'no Patroni API answered';
    for (const url of this.apiUrls) {
      try {
        const response = await fetch(`${url}/switchover`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ leader, candidate }),
          signal: AbortSignal.timeout(15_000),
        });
        const text = (await response.text()).trim();
        if (response.ok) return text || 'switchover accepted';
        // 412 and 503 are the engine refusing (candidate not healthy, not sync): a state conflict.
        if (response.status === 412 || response.status === 400)
          throw new FailedPreconditionError(`the HA engine refused the switchover: ${text}`, 'SWITCHOVER_REFUSED');
        lastError = `${response.status} ${text}`;
      } catch (error) {
        if (error instanceof FailedPreconditionError) throw error;
        lastError = (error as Error).message;
      }
    }
    throw new UnavailableError(`switchover could not be requested: ${lastError}`, 'ENGINE_UNAVAILABLE');
  }
}
