// OpenTelemetry bootstrap, loaded before anything else in a process so that http, grpc, pg and ioredis are
// instrumented. Trace context always propagates between services (trace ids reach the logs). Configured by the
// standard variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
// OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER (otlp, console,
// none; metrics also prometheus), OTEL_TRACES_SAMPLER (+ _ARG), OTEL_SERVICE_NAME, OTEL_SDK_DISABLED. Where the
// specification's default would push to localhost:4318, this platform pushes nothing: an exporter variable unset
// means otlp only when an OTLP endpoint is set, else none. Metrics are scraped from each process's /metrics
// (Prometheus), so `prometheus` needs no SDK reader. The default sampler is parentbased_traceidratio at 0.1
// (a caller's sampled decision is kept); MCH_TRACE_FILE (tests) writes every span as JSON lines, always_on.
import { appendFileSync } from 'node:fs';
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  SpanExporter,
  SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';

/** `a=1&b=2` of a request target as `a=&b=`: which parameters were given, not their values. */
export function queryNames(target: string): string {
  const query = target.includes('?') ? target.slice(target.indexOf('?') + 1) : '';
  return query === ''
    ? ''
    : query
        .split('&')
        .map((pair) => `${pair.split('=')[0] ?? ''}=`)
        .join('&');
}

/**
 * What a span says of a statement: its operation and the first table it names, never the text. A parameterised
 * statement holds no values, but the rule is stricter and simpler to check: no SQL reaches a trace.
 */
export function statementSummary(text: string): { operation: string; table: string | undefined } {
  const withoutComments = text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  const operation = /^\s*\(?\s*([A-Za-z]+)/.exec(withoutComments)?.[1]?.toUpperCase() ?? 'QUERY';
  const table = /\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(?:ONLY\s+)?("?[A-Za-z_][\w$]*"?(?:\."?[A-Za-z_][\w$]*"?)?)/i
    .exec(withoutComments)?.[1]
    ?.replace(/"/g, '');
  return { operation, table };
}

/** Writes finished spans as JSON lines; `MCH_TRACE_FILE` turns it on (tests read it back). */
class JsonLinesSpanExporter implements SpanExporter {
  constructor(private readonly file: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const lines = spans.map((span) => {
      const context = span.spanContext();
      return JSON.stringify({
        traceId: context.traceId,
        spanId: context.spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        name: span.name,
        kind: span.kind,
        service: span.resource.attributes['service.name'],
        attributes: span.attributes,
      });
    });
    try {
      appendFileSync(this.file, lines.join('\n') + '\n');
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Keeps spans alive (ids in logs, context propagated) when nothing exports them. */
class DiscardingSpanProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let sdk: NodeSDK | undefined;

export type Exporter = 'otlp' | 'console' | 'prometheus';

export interface TelemetrySettings {
  readonly serviceName: string;
  readonly traces: readonly Exporter[];
  readonly metrics: readonly Exporter[];
  readonly logs: readonly Exporter[];
  /** The sampler when OTEL_TRACES_SAMPLER does not name one (undefined: the SDK reads the variable). */
  readonly defaultSampler: 'parentbased_traceidratio 0.1' | 'always_on' | undefined;
  readonly traceFile: string | undefined;
}

export const DEFAULT_SAMPLE_RATIO = 0.1;

class TelemetryConfigError extends Error {
  override readonly name = 'TelemetryConfigError';
}

function exportersOf(
  env: NodeJS.ProcessEnv,
  variable: string,
  signalEndpoint: string,
  allowed: readonly Exporter[],
): Exporter[] {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return env.OTEL_EXPORTER_OTLP_ENDPOINT || env[signalEndpoint] ? ['otlp'] : [];
  const names = [
    ...new Set(
      raw
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ];
  if (names.includes('none')) return [];
  const unknown = names.filter((name) => !(allowed as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new TelemetryConfigError(
      `${variable}=${raw}: ${unknown.join(', ')} is not one of ${[...allowed, 'none'].join(', ')}`,
    );
  return names as Exporter[];
}

/** What the standard variables ask for, with this platform's defaults (see the top of this file). */
export function telemetrySettings(defaultServiceName: string, env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  return {
    serviceName: env.OTEL_SERVICE_NAME?.trim() || defaultServiceName,
    traces: exportersOf(env, 'OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['otlp', 'console']),
    metrics: exportersOf(env, 'OTEL_METRICS_EXPORTER', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', [
      'otlp',
      'console',
      'prometheus',
    ]),
    logs: exportersOf(env, 'OTEL_LOGS_EXPORTER', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', ['otlp', 'console']),
    defaultSampler: sampler ? undefined : env.MCH_TRACE_FILE ? 'always_on' : 'parentbased_traceidratio 0.1',
    traceFile: env.MCH_TRACE_FILE || undefined,
  };
}

function samplerOf(settings: TelemetrySettings): Sampler | undefined {
  if (settings.defaultSampler === undefined) return undefined;
  const ratio = settings.defaultSampler === 'always_on' ? 1 : DEFAULT_SAMPLE_RATIO;
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
}

export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): void {
  // The standard switch: no instrumentation at all (trace ids then stay out of the logs).
  if (sdk || env.OTEL_SDK_DISABLED === 'true') return;
  let settings: TelemetrySettings;
  try {
    settings = telemetrySettings(serviceName, env);
  } catch (error) {
    // Before the logger exists: the one line a misconfigured variable deserves, then the configuration exit code.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(78);
  }
  const processors: SpanProcessor[] = [];
  if (settings.traces.includes('otlp')) processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  if (settings.traces.includes('console'))
    processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
  if (settings.traceFile)
    processors.push(new SimpleSpanProcessor({ exporter: new JsonLinesSpanExporter(settings.traceFile) }));
  if (processors.length === 0) processors.push(new DiscardingSpanProcessor());
  const pushMetrics = settings.metrics.some((exporter) => exporter !== 'prometheus');
  const pushLogs = settings.logs.length > 0;
  const sampler = samplerOf(settings);
  sdk = new NodeSDK({
    serviceName: settings.serviceName,
    spanProcessors: processors,
    ...(sampler === undefined ? {} : { sampler }),
    // No reader and no log processor unless asked for: otherwise the SDK's own default pushes to localhost:4318.
    // When asked for, the SDK builds them from the same variables.
    ...(pushMetrics ? {} : { metricReaders: [] }),
    ...(pushLogs ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz|metrics)/.test(request.url ?? ''),
        // A query string can name a resident (GET /v1/patients?nationalId=…): spans keep its parameter names only.
        startIncomingSpanHook: (request) => ({ 'url.query': queryNames(request.url ?? '') }),
      }),
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
      // No values (they may be personal identifiers) and no statement text: the operation and its table only.
      new PgInstrumentation({
        enhancedDatabaseReporting: false,
        requestHook: (span, { query }) => {
          if (!span.isRecording()) return; // an unsampled request does no span work beyond propagation
          const { operation, table } = statementSummary(query.text ?? '');
          span.setAttribute('db.query.text', operation);
          if (table) span.setAttribute('db.collection.name', table);
        },
      }),
      new IORedisInstrumentation({ dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
}

export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
