// The service-credentials Job of the Helm chart: derives each service's credential from the platform's service secret
// (HMAC-SHA256, auth/service-identity.ts, which Helm's template functions cannot compute) and adds the missing
// `MCH_SERVICE_CREDENTIAL_<SERVICE>` keys to the app Secret with a JSON merge patch. Keys already right are left
// alone, so every run after the first patches nothing. The service secret itself stays in identity and this Job.
import { ConfigOf, loadConfig, optionalStr, str } from '../../common/src/config';
import { deriveServiceCredential } from '../../common/src/auth/service-identity';
import { inClusterApiUrl, KubeApi, MERGE_PATCH } from '../../common/src/kube-api';

/** The services that act as themselves and so need a credential (identity holds the secret; the seeder is local). */
export const CREDENTIAL_HOLDERS = [
  'records',
  'scheduling',
  'referral',
  'consultation',
  'replication',
  'gateway',
] as const;

export const serviceCredentialsConfigSpec = {
  SERVICE_NAME: str({ default: 'service-credentials' }),
  MCH_SERVICE_SECRET: str(),
  /** The app Secret the services read their credential from. */
  APP_SECRET: str(),
  POD_NAMESPACE: str(),
  KUBERNETES_API_URL: optionalStr(),
  KUBERNETES_SERVICE_HOST: optionalStr(),
  KUBERNETES_SERVICE_PORT: optionalStr(),
};

export type ServiceCredentialsConfig = ConfigOf<typeof serviceCredentialsConfigSpec>;

export function loadServiceCredentialsConfig(env: NodeJS.ProcessEnv = process.env): ServiceCredentialsConfig {
  return loadConfig(serviceCredentialsConfigSpec, env);
}

export const credentialKey = (service: string): string => `MCH_SERVICE_CREDENTIAL_${service.toUpperCase()}`;

/** Adds the credentials the Secret lacks (or holds wrong); returns the keys it wrote. */
export async function writeServiceCredentials(
  api: KubeApi,
  namespace: string,
  secretName: string,
  serviceSecret: string,
): Promise<string[]> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(secretName)}`;
  const current = await api.request('GET', path);
  if (current.status !== 200)
    throw new Error(`GET Secret ${secretName}: ${current.status} ${current.body.slice(0, 200)}`);
  const data = (JSON.parse(current.body) as { data?: Record<string, string> }).data ?? {};
  const patch: Record<string, string> = {};
  for (const service of CREDENTIAL_HOLDERS) {
    const value = Buffer.from(deriveServiceCredential(serviceSecret, service)).toString('base64');
    if (data[credentialKey(service)] !== value) patch[credentialKey(service)] = value;
  }
  if (Object.keys(patch).length === 0) return [];
  const answer = await api.request('PATCH', path, { contentType: MERGE_PATCH, text: JSON.stringify({ data: patch }) });
  if (answer.status !== 200)
    throw new Error(`PATCH Secret ${secretName}: ${answer.status} ${answer.body.slice(0, 200)}`);
  return Object.keys(patch).sort();
}

if (require.main === module) {
  void (async () => {
    const config = loadServiceCredentialsConfig();
    const url =
      config.KUBERNETES_API_URL ??
      inClusterApiUrl(config.KUBERNETES_SERVICE_HOST ?? 'kubernetes.default.svc', config.KUBERNETES_SERVICE_PORT);
    const written = await writeServiceCredentials(
      new KubeApi({ url }),
      config.POD_NAMESPACE,
      config.APP_SECRET,
      config.MCH_SERVICE_SECRET,
    );
    console.log(
      written.length > 0
        ? `wrote ${written.join(', ')} to Secret ${config.APP_SECRET}`
        : `Secret ${config.APP_SECRET} already holds every service credential`,
    );
  })().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}
