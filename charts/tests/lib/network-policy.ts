// Whether rendered NetworkPolicies let one endpoint reach another on a port, with the Kubernetes semantics: a pod
// selected by any policy of a direction is isolated in it, and then only a rule of a policy selecting it opens a flow;
// a flow needs both the source's egress and the destination's ingress. Selectors: matchLabels and matchExpressions
// (In, NotIn, Exists, DoesNotExist); peers: podSelector, namespaceSelector, both, or ipBlock with except.
import type { KubeObject } from './helm';

export interface Endpoint {
  readonly name: string;
  /** A pod: its namespace (with its labels) and labels. An address outside the cluster's pods: `ip`. */
  readonly namespace?: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly labels?: Readonly<Record<string, string>>;
  readonly ip?: string;
}

export interface Port {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
  /** The container port's name, for rules that name ports. */
  readonly name?: string;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port?: number | string; endPort?: number; protocol?: string }[];
}

interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: Rule[];
  egress?: Rule[];
}

export function selects(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const value = labels[expression.key];
    const values = expression.values ?? [];
    const ok =
      expression.operator === 'In'
        ? value !== undefined && values.includes(value)
        : expression.operator === 'NotIn'
          ? value === undefined || !values.includes(value)
          : expression.operator === 'Exists'
            ? value !== undefined
            : value === undefined;
    if (!ok) return false;
  }
  return true;
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 32 - Number(bits ?? 32);
  return Math.floor(ipToNumber(ip) / 2 ** size) === Math.floor(ipToNumber(base as string) / 2 ** size);
}

function peerMatches(peer: Peer, policyNamespace: string, endpoint: Endpoint): boolean {
  if (peer.ipBlock) {
    // An ipBlock is meant for addresses outside the cluster's pods (Kubernetes leaves pod IPs in it undefined).
    if (!endpoint.ip) return false;
    return (
      inCidr(endpoint.ip, peer.ipBlock.cidr) &&
      !(peer.ipBlock.except ?? []).some((cidr) => inCidr(endpoint.ip as string, cidr))
    );
  }
  if (!endpoint.namespace || !endpoint.labels) return false;
  if (peer.namespaceSelector) {
    if (!selects(peer.namespaceSelector, endpoint.namespace.labels)) return false;
  } else if (endpoint.namespace.name !== policyNamespace) {
    return false;
  }
  return selects(peer.podSelector, endpoint.labels);
}

function portMatches(rulePorts: Rule['ports'], port: Port): boolean {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((candidate) => {
    if ((candidate.protocol ?? 'TCP') !== port.protocol) return false;
    if (candidate.port === undefined) return true;
    if (typeof candidate.port === 'string') return candidate.port === port.name;
    return candidate.endPort
      ? port.port >= candidate.port && port.port <= candidate.endPort
      : candidate.port === port.port;
  });
}

function policiesOf(objects: readonly KubeObject[]): { namespace: string; spec: PolicySpec }[] {
  return objects
    .filter((object) => object.kind === 'NetworkPolicy')
    .map((object) => ({
      namespace: object.metadata.namespace ?? 'default',
      spec: object.spec as unknown as PolicySpec,
    }));
}

function types(spec: PolicySpec): string[] {
  return spec.policyTypes ?? ['Ingress', ...(spec.egress ? ['Egress'] : [])];
}

function allowedOneWay(
  objects: readonly KubeObject[],
  direction: 'Ingress' | 'Egress',
  subject: Endpoint,
  peer: Endpoint,
  port: Port,
): boolean {
  // Endpoints outside the namespace (or not pods) are not governed by these policies.
  if (!subject.namespace || !subject.labels) return true;
  const applying = policiesOf(objects).filter(
    (policy) =>
      policy.namespace === subject.namespace?.name &&
      types(policy.spec).includes(direction) &&
      selects(policy.spec.podSelector, subject.labels ?? {}),
  );
  if (applying.length === 0) return true;
  return applying.some((policy) =>
    (direction === 'Ingress' ? policy.spec.ingress : policy.spec.egress)?.some((rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      return (
        (!peers || peers.length === 0 || peers.some((candidate) => peerMatches(candidate, policy.namespace, peer))) &&
        portMatches(rule.ports, port)
      );
    }),
  );
}

/** Whether `from` may open a connection to `to` on `port` under the rendered policies. */
export function allowed(objects: readonly KubeObject[], from: Endpoint, to: Endpoint, port: Port): boolean {
  return allowedOneWay(objects, 'Egress', from, to, port) && allowedOneWay(objects, 'Ingress', to, from, port);
}
