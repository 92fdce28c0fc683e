// Drills by hand on a running platform: a unix socket in the data dir through which the CLI kills, stops and starts zones and services.
import { createConnection, createServer, type Server } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isZone } from './patroni';
import type { Platform } from './platform';

export const CONTROL_ACTIONS = ['kill', 'stop', 'start'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export interface ControlRequest {
  readonly target: 'zone' | 'service' | 'objects';
  readonly action: ControlAction;
  readonly name: string;
}

export interface ControlAnswer {
  readonly ok: boolean;
  readonly message: string;
}

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'run', 'control.sock');
}

async function perform(platform: Platform, request: ControlRequest): Promise<string> {
  if (!(CONTROL_ACTIONS as readonly string[]).includes(request.action))
    throw new Error(`unknown action ${request.action}`);
  if (request.target === 'zone') {
    if (!isZone(request.name)) throw new Error(`unknown zone ${request.name} (az-a or az-b)`);
    if (request.action === 'kill')
      return `killed ${request.name}: SIGKILL to pids ${(await platform.killZone(request.name)).join(' ')}`;
    if (request.action === 'stop') {
      await platform.stopZone(request.name);
      return `stopped ${request.name}`;
    }
    await platform.startZone(request.name);
    return `started ${request.name}`;
  }
  if (request.target === 'objects') {
    if (!isZone(request.name)) throw new Error(`unknown zone ${request.name} (az-a or az-b)`);
    if (request.action === 'kill')
      return `killed the object store agent of ${request.name}: SIGKILL to pids ${(await platform.killObjectStore(request.name)).join(' ')}`;
    if (request.action === 'stop') {
      await platform.stopObjectStore(request.name);
      return `stopped the object store agent of ${request.name}`;
    }
    await platform.startObjectStore(request.name);
    return `started the object store agent of ${request.name}`;
  }
  if (request.action === 'kill')
    return `SIGKILL to ${request.name} pid ${String(platform.killService(request.name))}; the supervisor restarts it`;
  if (request.action === 'stop') {
    await platform.stopService(request.name);
    return `stopped ${request.name}`;
  }
  await platform.startService(request.name);
  return `started ${request.name}`;
}

/** Serves control requests for `platform` until the returned server is closed. Owner-only socket. */
export async function serveControl(platform: Platform): Promise<Server> {
  const path = controlSocketPath(platform.dataDir);
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const reply = (answer: ControlAnswer): void => {
        socket.end(`${JSON.stringify(answer)}\n`);
      };
      let request: ControlRequest;
      try {
        request = JSON.parse(buffered.slice(0, newline)) as ControlRequest;
      } catch {
        reply({ ok: false, message: 'malformed request' });
        return;
      }
      perform(platform, request).then(
        (message) => reply({ ok: true, message }),
        (error: unknown) => reply({ ok: false, message: error instanceof Error ? error.message : String(error) }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  server.unref();
  return server;
}

export function sendControl(dataDir: string, request: ControlRequest, timeoutMs = 120_000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketPath(dataDir));
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(JSON.parse(answer) as ControlAnswer);
      } catch {
        reject(new Error(`malformed answer: ${answer}`));
      }
    });
  });
}
