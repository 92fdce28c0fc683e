// What the gateway knows of the protos: every annotated RPC (from protobufjs reading proto/ at start) and
// the generated ts-proto message codecs (found by walking the generated folders), so a new annotated RPC
// becomes a route without gateway code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type protobuf from 'protobufjs';
import { loadProtoRoot as loadRoot } from '../../common/src/grpc/proto-rules';

/** A ts-proto message codec. */
export interface MessageCodec {
  encode(message: unknown): { finish(): Uint8Array };
  decode(input: Uint8Array): unknown;
  fromJSON(object: unknown): unknown;
  toJSON(message: unknown): unknown;
}

export interface ProtoSources {
  /** Folders searched for imports, in order (proto/ and proto/third_party). */
  readonly includeDirs: readonly string[];
  /** Proto files, relative to an include dir, that declare the services to expose. */
  readonly files: readonly string[];
  /** Folders of generated ts-proto modules (compiled .js or .ts sources). */
  readonly generatedDirs: readonly string[];
}

/** Every `.proto` file under `dir/mch`, relative to `dir`. */
export function findServiceProtos(dir: string, under = 'mch'): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(dir, relative))) {
      const child = path.join(relative, entry);
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else if (entry.endsWith('.proto')) found.push(child.split(path.sep).join('/'));
    }
  };
  if (existsSync(path.join(dir, under))) walk(under);
  return found.sort();
}

/** The gateway's protos, loaded with their imports (the kit's loader, which the services' annotations are read with too). */
export function loadProtoRoot(sources: ProtoSources): protobuf.Root {
  return loadRoot(sources.includeDirs, sources.files);
}

/** Finds every generated message codec, keyed by its fully qualified proto name (`mch.identity.v1.Institution`). */
export function loadCodecs(generatedDirs: readonly string[]): Map<string, MessageCodec> {
  const codecs = new Map<string, MessageCodec>();
  const visit = (file: string): void => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(file) as Record<string, unknown>;
    const pkg = module.protobufPackage;
    if (typeof pkg !== 'string') return;
    for (const [name, value] of Object.entries(module)) {
      if (value && typeof value === 'object' && 'fromJSON' in value && 'encode' in value) {
        codecs.set(`${pkg}.${name.replace(/_/g, '.')}`, value as MessageCodec);
      }
    }
  };
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (
        (entry.endsWith('.js') || (entry.endsWith('.ts') && !entry.endsWith('.d.ts'))) &&
        !entry.endsWith('.test.ts')
      )
        visit(full);
    }
  };
  for (const dir of generatedDirs) walk(dir);
  return codecs;
}
