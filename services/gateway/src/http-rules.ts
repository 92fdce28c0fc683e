// Routes derived from `google.api.http` annotations: one per binding (additional_bindings included).
import protobuf from 'protobufjs';

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface HttpRoute {
  readonly verb: HttpVerb;
  /** The annotation's template, e.g. `/v1/institutions/{id}`. */
  readonly template: string;
  /** The same in Fastify's syntax, e.g. `/v1/institutions/:p0`. */
  readonly fastifyPath: string;
  /** Fastify parameter name -> request field path (`id`, `slot.id`). */
  readonly pathParams: ReadonlyMap<string, string>;
  /** `*`, a top-level field name, or undefined for no body. */
  readonly body: string | undefined;
  readonly service: protobuf.Service;
  readonly method: protobuf.Method;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  /** `/pkg.Service/Method`. */
  readonly grpcPath: string;
}

interface RawHttpRule {
  get?: string;
  put?: string;
  post?: string;
  delete?: string;
  patch?: string;
  body?: string;
  additional_bindings?: RawHttpRule | RawHttpRule[];
  additionalBindings?: RawHttpRule | RawHttpRule[];
}

function httpRuleOf(method: protobuf.Method): RawHttpRule | undefined {
  for (const option of method.parsedOptions ?? []) {
    const rule = (option as Record<string, unknown>)['(google.api.http)'];
    if (rule) return rule;
  }
  return undefined;
}

const VERBS: ReadonlyArray<[keyof RawHttpRule, HttpVerb]> = [
  ['get', 'GET'],
  ['post', 'POST'],
  ['put', 'PUT'],
  ['delete', 'DELETE'],
  ['patch', 'PATCH'],
];

/** Converts a path template to Fastify's syntax. Supports `{field}` and `{field.path}` single segments. */
export function toFastifyPath(template: string): { path: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  // A custom verb (`/x/{id}:cancel`) is a literal colon, which Fastify spells `::`.
  const verb = /(?<=[}\w]):([A-Za-z][\w-]*)$/.exec(template);
  const base = verb ? template.slice(0, verb.index) : template;
  let index = 0;
  const converted = base.replace(
    /\{([A-Za-z_][A-Za-z0-9_.]*)(=[^}]*)?\}/g,
    (_match, field: string, pattern?: string) => {
      if (pattern && pattern !== '=*')
        throw new Error(`path template ${template}: only single-segment variables are supported`);
      const name = `p${index++}`;
      params.set(name, field);
      return `:${name}`;
    },
  );
  return { path: verb ? `${converted}::${verb[1]}` : converted, params };
}

function routesOfRule(rule: RawHttpRule, service: protobuf.Service, method: protobuf.Method): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const [key, verb] of VERBS) {
    const template = rule[key];
    if (typeof template !== 'string') continue;
    const { path, params } = toFastifyPath(template);
    const requestType = method.resolvedRequestType;
    const responseType = method.resolvedResponseType;
    if (!requestType || !responseType) throw new Error(`${method.fullName}: unresolved types`);
    routes.push({
      verb,
      template,
      fastifyPath: path,
      pathParams: params,
      body: rule.body || undefined,
      service,
      method,
      requestType,
      responseType,
      grpcPath: `/${service.fullName.replace(/^\./, '')}/${method.name}`,
    });
  }
  const extra = rule.additional_bindings ?? rule.additionalBindings;
  for (const binding of Array.isArray(extra) ? extra : extra ? [extra] : [])
    routes.push(...routesOfRule(binding, service, method));
  return routes;
}

/** Every annotated unary RPC of every service in `root`. */
export function collectRoutes(root: protobuf.Root): HttpRoute[] {
  const routes: HttpRoute[] = [];
  const visit = (namespace: protobuf.NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Service) {
        for (const method of nested.methodsArray) {
          const rule = httpRuleOf(method);
          if (!rule || method.requestStream || method.responseStream) continue;
          routes.push(...routesOfRule(rule, nested, method));
        }
      } else if (nested instanceof protobuf.Namespace) {
        visit(nested);
      }
    }
  };
  visit(root);
  return routes;
}

/** `mch.identity.v1.IdentityService` -> `IDENTITY`: the backend whose address is `IDENTITY_SERVICE_ADDR`. */
export function backendOf(service: protobuf.Service): string {
  const parts = service.fullName.replace(/^\./, '').split('.');
  return (parts[1] ?? parts[0] ?? 'unknown').toUpperCase();
}
