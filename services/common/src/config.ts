// Typed configuration read once from the environment; start-up fails listing every invalid key.

/** Reads one key: returns the parsed value, or throws an Error whose message says what is wrong. */
export interface ConfigField<T> {
  readonly parse: (raw: string | undefined, key: string) => T;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Spec = Record<string, ConfigField<unknown>>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends ConfigField<infer T> ? T : never };

/** Parses every key of `spec` from `env`, collecting all problems before failing. */
export function loadConfig<S extends Spec>(spec: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(spec)) {
    try {
      config[key] = field.parse(emptyToUndefined(env[key]), key);
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as ConfigOf<S>;
}

function emptyToUndefined(raw: string | undefined): string | undefined {
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function required<T>(raw: string | undefined, fallback: T | undefined, parse: (value: string) => T): T {
  if (raw === undefined) {
    if (fallback === undefined) throw new Error('is required');
    return fallback;
  }
  return parse(raw);
}

export function str(options: { default?: string; oneOf?: readonly string[] } = {}): ConfigField<string> {
  return {
    parse: (raw) =>
      required(raw, options.default, (value) => {
        if (options.oneOf && !options.oneOf.includes(value))
          throw new Error(`must be one of ${options.oneOf.join(', ')}`);
        return value;
      }),
  };
}

export function optionalStr(): ConfigField<string | undefined> {
  return { parse: (raw) => raw };
}

export function int(options: { default?: number; min?: number; max?: number } = {}): ConfigField<number> {
  return {
    parse: (raw) =>
      required(raw, options.default, (value) => {
        if (!/^-?\d+$/.test(value)) throw new Error(`must be an integer, got "${value}"`);
        const parsed = Number(value);
        if (options.min !== undefined && parsed < options.min) throw new Error(`must be at least ${options.min}`);
        if (options.max !== undefined && parsed > options.max) throw new Error(`must be at most ${options.max}`);
        return parsed;
      }),
  };
}

export function port(options: { default?: number } = {}): ConfigField<number> {
  return int({ ...options, min: 0, max: 65535 });
}

export function bool(options: { default?: boolean } = {}): ConfigField<boolean> {
  return {
    parse: (raw) =>
      required(raw, options.default, (value) => {
        if (/^(1|true|yes|on)$/i.test(value)) return true;
        if (/^(0|false|no|off)$/i.test(value)) return false;
        throw new Error(`must be true or false, got "${value}"`);
      }),
  };
}

export function url(options: { default?: string; protocols: readonly string[] }): ConfigField<string> {
  return {
    parse: (raw) =>
      required(raw, options.default, (value) => {
        let parsed: URL;
        try {
          parsed = new URL(value);
        } catch {
          throw new Error('must be a URL');
        }
        if (!options.protocols.includes(parsed.protocol.replace(/:$/, ''))) {
          throw new Error(`must use ${options.protocols.join(' or ')}`);
        }
        return value;
      }),
  };
}

/** A gRPC target: `host:port` or a `dns:///host:port` style URI. */
export function address(options: { default?: string } = {}): ConfigField<string> {
  return {
    parse: (raw) =>
      required(raw, options.default, (value) => {
        if (!/^([a-z]+:\/\/\/?)?[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(value))
          throw new Error(`must be host:port, got "${value}"`);
        return value;
      }),
  };
}

/** The keys every gRPC service reads, beside its own. */
export const serviceConfigSpec = {
  SERVICE_NAME: str(),
  LOG_LEVEL: str({ default: 'info', oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }),
  GRPC_HOST: str({ default: '127.0.0.1' }),
  GRPC_PORT: port(),
  GRPC_REFLECTION: bool({ default: false }),
  SHUTDOWN_GRACE_MS: int({ default: 10_000, min: 0 }),
  DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }),
  DATABASE_RO_URL: optionalStr(),
  PG_POOL_MAX: int({ default: 10, min: 1, max: 200 }),
  PG_STATEMENT_TIMEOUT_MS: int({ default: 5_000, min: 100 }),
  PG_COMMIT_UNKNOWN_AFTER_MS: int({ default: 30_000, min: 1_000 }),
  REDIS_URL: url({ default: 'redis://127.0.0.1:6379', protocols: ['redis', 'rediss'] }),
  REDIS_COMMAND_TIMEOUT_MS: int({ default: 250, min: 10 }),
  CACHE_TTL_SECONDS: int({ default: 300, min: 1 }),
  MIGRATE_ON_START: bool({ default: true }),
  /**
   * The service's own database role, confined to its schema by the `migrate` command (run with the owner role's
   * DATABASE_URL); unset: no confinement (a test running everything as one role).
   */
  DATABASE_SERVICE_ROLE: optionalStr(),
  /** Where token keys are fetched from (every service but identity). */
  IDENTITY_SERVICE_ADDR: optionalStr(),
  /** This service's own credential (see auth/service-identity.ts): lets background work call others as itself. */
  MCH_SERVICE_CREDENTIAL: optionalStr(),
  /** Prometheus metrics (GET /metrics) on this port; 0: none. */
  METRICS_PORT: port({ default: 0 }),
  METRICS_HOST: str({ default: '127.0.0.1' }),
};
