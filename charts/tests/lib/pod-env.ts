// A container's environment as the kubelet would build it from rendered objects: envFrom ConfigMaps and Secrets, then
// env in order with `$(VAR)` expanded from the variables before it. Values the cluster supplies (downward API,
// Secrets the operator or the user creates) become placeholders that say where they come from; an optional key of a
// Secret the chart does not render is left out, as the kubelet does when the key is missing.
import type { KubeObject } from './helm';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
}

function dataOf(
  objects: readonly KubeObject[],
  kind: 'ConfigMap' | 'Secret',
  name: string,
): Record<string, string> | undefined {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) return undefined;
  const data: Record<string, string> = { ...((object['stringData'] as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries((object['data'] as Record<string, string> | undefined) ?? {})) {
    data[key] = kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
  }
  return data;
}

/** A value the cluster provides, e.g. `secret:mch-pg-app/password`: URL-safe, so that it can sit inside a URL. */
function placeholder(source: string): string {
  return `from-${source.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** What the kubelet puts in every container's environment, whatever the pod says. */
const KUBELET_ENV = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

/** `namespace`: the pod's, for the downward API's metadata.namespace. */
export function containerEnv(
  objects: readonly KubeObject[],
  container: Container,
  namespace?: string,
): Record<string, string> {
  const env: Record<string, string> = { ...KUBELET_ENV };
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, dataOf(objects, 'ConfigMap', source.configMapRef.name) ?? {});
    if (source.secretRef) Object.assign(env, dataOf(objects, 'Secret', source.secretRef.name) ?? {});
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = variable.value.replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (whole, name: string) => env[name] ?? whole,
      );
    } else if (variable.valueFrom?.fieldRef) {
      const path = variable.valueFrom.fieldRef.fieldPath;
      env[variable.name] = path === 'metadata.namespace' && namespace ? namespace : placeholder(`field:${path}`);
    } else if (variable.valueFrom?.secretKeyRef) {
      const ref = variable.valueFrom.secretKeyRef;
      const rendered = dataOf(objects, 'Secret', ref.name);
      if (rendered) {
        if (ref.key in rendered) env[variable.name] = rendered[ref.key] as string;
        else if (!ref.optional)
          throw new Error(
            `${container.name}: ${variable.name} names key ${ref.key} of Secret ${ref.name}, which the chart renders without it`,
          );
      } else if (!ref.optional) {
        env[variable.name] = placeholder(`secret:${ref.name}/${ref.key}`);
      }
    } else if (variable.valueFrom?.configMapKeyRef) {
      const ref = variable.valueFrom.configMapKeyRef;
      const value = dataOf(objects, 'ConfigMap', ref.name)?.[ref.key];
      if (value !== undefined) env[variable.name] = value;
      else if (!ref.optional)
        throw new Error(`${container.name}: ${variable.name} names a missing ConfigMap key ${ref.name}/${ref.key}`);
    }
  }
  return env;
}

/** The pod template of a workload (Deployment, StatefulSet, Job). */
export function podSpec(object: KubeObject): { containers: Container[]; [key: string]: unknown } {
  return (object.spec as { template: { spec: { containers: Container[] } } }).template.spec;
}
