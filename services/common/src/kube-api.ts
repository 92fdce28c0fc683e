// The few Kubernetes API calls platform processes make (the replication service reads its CloudNativePG Cluster,
// the service-credentials Job patches the app Secret): HTTPS to the API server with the pod's service account token
// (re-read on every call: bound tokens rotate) and CA, or any URL and token a test gives.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const REQUEST_TIMEOUT_MS = 3_000;
export const MERGE_PATCH = 'application/merge-patch+json';

export interface KubeAnswer {
  readonly status: number;
  readonly body: string;
}

export interface KubeApiOptions {
  /** Base URL of the API server. */
  readonly url: string;
  /** The bearer token; default: the pod's service account token. */
  readonly token?: () => string;
  /** PEM of the API server's CA; default: the pod's service account CA (https only). */
  readonly ca?: string;
}

/** The in-cluster address of the API server, from the variables the kubelet sets in every container. */
export function inClusterApiUrl(host: string, port: string | undefined): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port ?? '443'}`;
}

export class KubeApi {
  constructor(private readonly options: KubeApiOptions) {}

  request(method: string, path: string, body?: { contentType: string; text: string }): Promise<KubeAnswer> {
    const url = new URL(path, this.options.url);
    const token = this.options.token ? this.options.token() : readFileSync(`${SERVICE_ACCOUNT}/token`, 'utf8').trim();
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` };
    if (body) headers['content-type'] = body.contentType;
    const secure = url.protocol === 'https:';
    const ca = secure ? (this.options.ca ?? readFileSync(`${SERVICE_ACCOUNT}/ca.crt`, 'utf8')) : undefined;
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(
        url,
        { method, headers, ca, timeout: REQUEST_TIMEOUT_MS },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${url.pathname} timed out`)));
      request.on('error', reject);
      request.end(body?.text);
    });
  }
}
