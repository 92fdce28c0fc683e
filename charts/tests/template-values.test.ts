// Every value a template reads is declared in values.schema.json, and every declared value is read.
import path from 'node:path';
import { FIXTURES_DIR, loadSchema, readText, templateFiles } from './lib/chart';
import { TemplateScanner } from './lib/template-scan';

const schema = loadSchema();

function scanChart(): TemplateScanner {
  const scanner = new TemplateScanner(schema);
  for (const file of templateFiles()) scanner.scan(path.basename(file), readText(file));
  return scanner;
}

function scanText(text: string): string[] {
  const scanner = new TemplateScanner(schema);
  scanner.scan('fixture.yaml', text);
  return scanner.findings.map((finding) => `${finding.line}: ${finding.message}`);
}

describe('the chart templates read only declared values', () => {
  const scanner = scanChart();

  it('finds templates to read', () => {
    expect(templateFiles().length).toBeGreaterThan(10);
  });

  it('every .Values path (direct, via $, via .root and via range/with/variables) is in the schema', () => {
    expect(scanner.findings.map((finding) => `${finding.file}:${finding.line}: ${finding.message}`)).toEqual([]);
  });

  it('every value the schema declares is read by some template', () => {
    expect(scanner.unusedValuePaths()).toEqual([]);
  });

  it('every included template is defined', () => {
    const missing = scanner.includes.filter((use) => !scanner.defines.has(use.name)).map((use) => `${use.file}:${use.line}: ${use.name}`);
    expect(missing).toEqual([]);
  });
});

describe('the reader catches what Helm would silently render empty', () => {
  it('reports each wrong reference of the negative fixture', () => {
    const findings = scanText(readText(path.join(FIXTURES_DIR, 'template-undefined-values.yaml')));
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^5: \.Values\.doesNotExist: "doesNotExist" is not in values\.schema\.json/),
        expect.stringMatching(/^7: \$\.Values\.services\.identity\.replicaCount: "replicaCount" is not in/),
        expect.stringMatching(/^9: \$svc\.enabeld: "enabeld" is not in/),
        expect.stringMatching(/^12: \.zoneName: "zoneName" is not in/),
        expect.stringMatching(/^13: \.Values\.config\.grpcPort: the dot is not the root context here/),
        expect.stringMatching(/^16: \.durability: "durability" is not in/),
        '18: undefined variable $undefinedVariable',
        expect.stringMatching(/^19: dynamic lookup into \.Values/),
      ]),
    );
    expect(findings).toHaveLength(8);
  });

  it('reports a single undefined value', () => {
    expect(scanText('x: {{ .Values.doesNotExist }}')).toEqual([
      '1: .Values.doesNotExist: "doesNotExist" is not in values.schema.json (.Values.doesNotExist)',
    ]);
  });

  it('follows helpers that carry the root context in a dict, and @schema bindings', () => {
    const text = [
      '{{- define "t.helper" -}}',
      '{{ .root.Values.global.clusterDomain }} {{ .root.Values.global.clusterDomian }}',
      '{{- /* @schema $svc #/definitions/grpcService */ -}}',
      '{{- $svc := .svc -}}',
      '{{ $svc.callers }} {{ $svc.caller }}',
      '{{- end -}}',
    ].join('\n');
    expect(scanText(text)).toEqual([
      '2: .root.Values.global.clusterDomian: "clusterDomian" is not in values.schema.json (.Values.global.clusterDomian)',
      '5: $svc.caller: "caller" is not in values.schema.json (#/definitions/grpcService.caller)',
    ]);
  });

  it('accepts keys of free-form maps and rejects keys their propertyNames forbid', () => {
    expect(scanText('{{ .Values.postgres.parameters.max_connections }}')).toEqual([]);
    expect(scanText('{{ .Values.services.identity.env.SEED_ON_START }}')).toEqual([]);
    expect(scanText('{{ .Values.services.identity.env.seed_on_start }}')).toHaveLength(1);
  });

  it('reports an unbounded integer printed without int64 (Helm would print 1048576 as 1.048576e+06)', () => {
    expect(scanText('x: {{ .Values.config.gatewayBodyLimitBytes | quote }}')).toEqual([
      '1: .Values.config.gatewayBodyLimitBytes is an integer printed without int64 (large values would print as 1e+06)',
    ]);
    expect(scanText('x: {{ .Values.config.gatewayBodyLimitBytes | int64 | quote }}')).toEqual([]);
    expect(scanText('x: {{ .Values.config.grpcPort }}')).toEqual([]);
  });

  it('reports unbalanced blocks', () => {
    expect(scanText('{{ if .Values.redis.enabled }}x')).toEqual(['1: 1 block(s) not closed with {{ end }}']);
    expect(scanText('x{{ end }}')).toEqual(['1: unbalanced {{ end }}']);
  });

  it('notices a declared value that no template reads', () => {
    const scanner = new TemplateScanner(schema);
    scanner.scan('only-one.yaml', '{{ .Values.redis.port }}');
    const unused = scanner.unusedValuePaths();
    expect(unused).toContain('redis.enabled');
    expect(unused).toContain('postgres');
    expect(unused).not.toContain('redis.port');
  });
});
