// OpenTelemetry bootstrap, loaded before anything else in a process so that http, grpc, pg and ioredis are
// instrumented. Spans always exist (trace ids reach the logs and propagate between services); they are
// exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set, or to a JSON-lines file for tests.
import { appendFileSync } from 'node:fs';
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ReadableSpan, SimpleSpanProcessor, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

/** `a=1&b=2` of a request target as `a=&b=`: which parameters were given, not their values. */
export function queryNames(target: string): string {
  const query = target.includes('?') ? target.slice(target.indexOf('?') + 1) : '';
  return query === '' ? '' : query.split('&').map((pair) => `${pair.split('=')[0] ?? ''}=`).join('&');
}

/**
 * What a span says of a statement: its operation and the first table it names, never the text. A parameterised
 * statement holds no values, but the rule is stricter and simpler to check: no SQL reaches a trace.
 */
export function statementSummary(text: string): { operation: string; table: string | undefined } {
  const withoutComments = text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  const operation = /^\s*\(?\s*([A-Za-z]+)/.exec(withoutComments)?.[1]?.toUpperCase() ?? 'QUERY';
  const table = /\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(?:ONLY\s+)?("?[A-Za-z_][\w$]*"?(?:\."?[A-Za-z_][\w$]*"?)?)/i.exec(withoutComments)?.[1]?.replace(/"/g, '');
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

export function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): void {
  // The standard switch: no instrumentation at all (trace ids then stay out of the logs).
  if (sdk || env.OTEL_SDK_DISABLED === 'true') return;
  const processors: SpanProcessor[] = [];
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  if (env.MCH_TRACE_FILE) processors.push(new SimpleSpanProcessor({ exporter: new JsonLinesSpanExporter(env.MCH_TRACE_FILE) }));
  if (processors.length === 0) processors.push(new DiscardingSpanProcessor());
  sdk = new NodeSDK({
    serviceName,
    spanProcessors: processors,
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
