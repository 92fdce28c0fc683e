// Test support: the gateway's own route table, and the request an HTTP call stands for sent straight to the owning
// service over gRPC (built with the gateway's route table and transcoding), so a test can ask the same question of
// both doors and compare the answers.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Metadata, status } from '@grpc/grpc-js';
import { callUnary, createChannelClient, unaryMethod } from '../../common/src/grpc/client';
import { protoDir } from '../../common/src/paths';
import { backendOf, collectRoutes, HttpRoute } from '../src/http-rules';
import { findServiceProtos, loadCodecs, loadProtoRoot, MessageCodec } from '../src/proto-registry';
import { transcodeRequest } from '../src/transcode';

const GENERATED_DIR = path.join(__dirname, '../../common/src/gen');

/** Every route the gateway serves from the protos' `google.api.http` annotations. */
export function gatewayRoutes(): HttpRoute[] {
  return collectRoutes(
    loadProtoRoot({
      includeDirs: [protoDir(), path.join(protoDir(), 'third_party')],
      files: findServiceProtos(protoDir()),
      generatedDirs: [],
    }),
  );
}

/** `GET /v1/patients/{id}` for a route: the key expectation tables use. */
export function routeKey(route: Pick<HttpRoute, 'verb' | 'template'>): string {
  return `${route.verb} ${route.template}`;
}

/** What one call carries, whichever door it goes through. */
export interface RouteCall {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** The route of the gateway's table that serves `verb target` (a concrete path, query allowed). */
export function matchRoute(
  routes: readonly HttpRoute[],
  verb: string,
  target: string,
): { route: HttpRoute; params: Record<string, string>; query: Record<string, string> } {
  const url = new URL(target, 'http://gateway');
  const segments = url.pathname.split('/');
  for (const route of routes) {
    const parts = route.fastifyPath.split('/');
    if (
      route.verb !== verb ||
      parts.length !== segments.length ||
      !parts.every((part, i) => part.startsWith(':') || part === segments[i])
    )
      continue;
    const params = Object.fromEntries(
      parts.flatMap((part, i) =>
        part.startsWith(':') ? [[part.slice(1), decodeURIComponent(segments[i] as string)]] : [],
      ),
    );
    return { route, params, query: Object.fromEntries(url.searchParams.entries()) };
  }
  throw new Error(`no route for ${verb} ${target}`);
}

/** Sends HTTP-shaped calls straight to the services over gRPC; answers are gRPC status codes. */
export class GrpcRouteCaller {
  private readonly codecs = loadCodecs([GENERATED_DIR]);
  private readonly clients = new Map<string, Client>();

  /** `addresses`: service name (`identity`) -> `host:port`, as the test platform lists them. */
  constructor(
    private readonly routes: readonly HttpRoute[],
    private readonly addresses: Readonly<Record<string, string>>,
  ) {}

  async call(verb: string, target: string, given: RouteCall): Promise<number> {
    const { route, params, query } = matchRoute(this.routes, verb, target);
    const requestCodec = this.codecs.get(route.requestType.fullName.slice(1)) as MessageCodec;
    const responseCodec = this.codecs.get(route.responseType.fullName.slice(1)) as MessageCodec;
    const message = requestCodec.fromJSON(transcodeRequest(route, { params, query, body: given.body }));
    const metadata = new Metadata();
    if (given.token) metadata.set('authorization', `Bearer ${given.token}`);
    for (const [name, value] of Object.entries(given.headers ?? {})) metadata.set(name, value);
    if (verb !== 'GET') metadata.set('idempotency-key', `grpc-${randomBytes(8).toString('hex')}`);
    return callUnary(this.clientFor(route), unaryMethod(route.grpcPath, requestCodec, responseCodec), message, {
      metadata,
    }).then(
      () => status.OK as number,
      (error: { code: number }) => error.code,
    );
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }

  private clientFor(route: HttpRoute): Client {
    const service = backendOf(route.service).toLowerCase();
    let client = this.clients.get(service);
    if (!client) {
      const address = this.addresses[service];
      if (!address) throw new Error(`no address for service ${service}`);
      client = createChannelClient(address);
      this.clients.set(service, client);
    }
    return client;
  }
}
