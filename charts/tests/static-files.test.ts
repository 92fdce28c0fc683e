// The chart's, the image's and the Tiltfile's static files parse and agree with each other. What the chart renders
// is checked on helm's own output in render.test.ts.
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  CHART_DIR,
  chartValues,
  exists,
  readText,
  readYamlFile,
  REPO_ROOT,
  templateFiles,
  TEMPLATES_DIR,
} from './lib/chart';

const GRPC_SERVICES = ['identity', 'records', 'scheduling', 'referral', 'consultation', 'replication'];

describe('Chart.yaml', () => {
  const chart = readYamlFile(path.join(CHART_DIR, 'Chart.yaml'));

  it('is a v2 application chart with a name, a SemVer version and an appVersion', () => {
    expect(chart['apiVersion']).toBe('v2');
    expect(chart['name']).toBe(path.basename(CHART_DIR));
    expect(chart['type']).toBe('application');
    expect(String(chart['version'])).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(typeof chart['appVersion']).toBe('string');
    expect(String(chart['appVersion'])).not.toBe('');
  });

  it('needs no subchart that would have to be fetched', () => {
    expect(chart['dependencies']).toBeUndefined();
    expect(exists('charts/mch-alliance/charts')).toBe(false);
  });
});

describe('template files', () => {
  it('the values files and NOTES parse', () => {
    for (const file of ['values.yaml', 'values-dev.yaml', 'values-prod.yaml'])
      expect(() => chartValues(file)).not.toThrow();
    expect(readText(path.join(TEMPLATES_DIR, 'NOTES.txt')).length).toBeGreaterThan(0);
  });

  it('migrations are plain Jobs, never Helm hooks (Tilt skips hooks)', () => {
    for (const file of templateFiles())
      expect({ file: path.basename(file), hook: /helm\.sh\/hook/.test(readText(file)) }).toEqual({
        file: path.basename(file),
        hook: false,
      });
    const jobs = readText(path.join(TEMPLATES_DIR, 'migrations-jobs.yaml'));
    expect(jobs).toMatch(/kind: Job/);
    expect(jobs).toMatch(/args: \[dist\/services\/\{\{ \$name \}\}\/src\/main\.js, migrate\]/);
  });
});

describe('Dockerfile', () => {
  const text = readText(path.join(REPO_ROOT, 'Dockerfile')).replace(/\\\n/g, ' ');
  const stages = [...text.matchAll(/^FROM\s+(\S+)\s+AS\s+(\S+)\s*$/gim)].map((match) => ({
    image: match[1] as string,
    name: match[2] as string,
    start: match.index ?? 0,
  }));
  const stageText = (name: string): string => {
    const index = stages.findIndex((stage) => stage.name === name);
    if (index < 0) throw new Error(`no stage ${name}`);
    return text.slice(stages[index]?.start, stages[index + 1]?.start ?? text.length);
  };
  const args = Object.fromEntries([...text.matchAll(/^ARG\s+(\w+)=(\S+)/gm)].map((match) => [match[1], match[2]]));
  const imageOf = (reference: string): string =>
    reference.replace(/^\$\{(\w+)\}$/, (_all, name: string) => String(args[name]));

  it('is multi-stage: build with Node 24, prod dependencies apart, a distroless Node 24 runtime last', () => {
    expect(stages.map((stage) => stage.name)).toEqual(
      expect.arrayContaining(['deps', 'build', 'prod-deps', 'dev', 'runtime']),
    );
    expect(stages[stages.length - 1]?.name).toBe('runtime');
    expect(imageOf((stages.find((stage) => stage.name === 'deps') as { image: string }).image)).toBe(
      'node:24-bookworm-slim',
    );
    expect(imageOf((stages.find((stage) => stage.name === 'runtime') as { image: string }).image)).toMatch(
      /^gcr\.io\/distroless\/nodejs24-debian12/,
    );
    expect(stageText('prod-deps')).toMatch(/npm ci --omit=dev/);
    expect(stageText('build')).toMatch(/npm run build/);
  });

  it('the runtime stage copies the compiled code, production modules, proto/ and the migrations and seed data', () => {
    const runtime = stageText('runtime');
    expect(runtime).toMatch(/COPY --from=prod-deps \/app\/node_modules \.\/node_modules/);
    expect(runtime).toMatch(/COPY --from=build \/app\/package\.json \.\/package\.json/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(runtime).toMatch(/COPY --from=build \/app\/proto \.\/proto/);
    expect(runtime).toMatch(/COPY --from=build \/app\/runtime-assets\/services \.\/services/);
    // ... which the build stage gathers from every service's migrations and seed folders.
    expect(stageText('build')).toMatch(/for dir in services\/\*\/migrations services\/\*\/seed/);
  });

  it('runs as a numeric non-root user in the runtime and dev images', () => {
    for (const stage of ['runtime', 'dev']) {
      const user = /^USER\s+(\d+)(?::(\d+))?\s*$/m.exec(stageText(stage));
      expect(user).not.toBeNull();
      expect(Number(user?.[1])).toBeGreaterThan(0);
    }
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const ignored = readText(path.join(REPO_ROOT, '.dockerignore'))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const sources = [...text.matchAll(/^COPY\s+(?!--from)(?:--\S+\s+)*(.+)\s+\S+\s*$/gm)].flatMap((match) =>
      (match[1] as string).split(/\s+/),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect({ source, exists: exists(source) }).toEqual({ source, exists: true });
      expect({
        source,
        ignored: ignored.some((pattern) => pattern === source || source.startsWith(`${pattern}/`)),
      }).toEqual({ source, ignored: false });
    }
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });

  it('the non-compiled files the services read exist where the image gathers them', () => {
    for (const dir of ['proto', 'services/common/migrations', 'services/identity/migrations', 'services/identity/seed'])
      expect({ dir, exists: exists(dir) }).toEqual({ dir, exists: true });
  });
});

describe('Tiltfile', () => {
  const tiltfile = readText(path.join(REPO_ROOT, 'Tiltfile'));
  const constant = (name: string): string => {
    const match = new RegExp(`^${name}\\s*=\\s*(.+)$`, 'm').exec(tiltfile);
    if (!match) throw new Error(`Tiltfile has no ${name}`);
    return (match[1] as string).replace(/\s*#.*$/, '').trim();
  };
  const unquote = (value: string): string => value.replace(/^'(.*)'$/, '$1');

  it('deploys the chart with values-dev.yaml, both of which exist', () => {
    const chart = unquote(constant('CHART'));
    expect(chart).toBe('charts/mch-alliance');
    expect(exists(path.join(chart, 'Chart.yaml'))).toBe(true);
    expect(constant('DEV_VALUES')).toBe("CHART + '/values-dev.yaml'");
    expect(exists(path.join(chart, 'values-dev.yaml'))).toBe(true);
    expect(tiltfile).toMatch(/k8s_yaml\(helm\(\s*CHART,[\s\S]*values=\[DEV_VALUES\]/);
  });

  it('builds a stage the Dockerfile has, for the image values-dev.yaml names', () => {
    const target = /target='([\w-]+)'/.exec(tiltfile)?.[1];
    expect(readText(path.join(REPO_ROOT, 'Dockerfile'))).toMatch(new RegExp(`^FROM .+ AS ${target}\\s*$`, 'm'));
    expect(unquote(constant('IMAGE'))).toBe(
      (chartValues('values-dev.yaml')['image'] as { repository: string }).repository,
    );
  });

  it('forwards the gateway port the chart serves on', () => {
    expect(Number(constant('GATEWAY_PORT'))).toBe(
      (chartValues('values.yaml')['config'] as { httpPort: number }).httpPort,
    );
    expect(tiltfile).toMatch(/port_forwards=\['%d:%d' % \(GATEWAY_PORT, GATEWAY_PORT\)\]/);
  });

  it("knows the same services as the chart, and its resource names follow the chart's naming", () => {
    expect(constant('GRPC_SERVICES')).toBe(`[${GRPC_SERVICES.map((name) => `'${name}'`).join(', ')}]`);
    expect(readText(path.join(TEMPLATES_DIR, 'migrations-jobs.yaml'))).toMatch(
      /name: \{\{ \$fullname \}\}-migrate-\{\{ \$name \}\}-r\{\{ \$\.Release\.Revision \}\}/,
    );
    expect(tiltfile).toMatch(/'%s-migrate-%s-r1' % \(RELEASE, name\)/);
    expect(readText(path.join(TEMPLATES_DIR, '_helpers.tpl'))).toMatch(/printf "%s-pg" \(include "mch\.fullname" \.\)/);
    expect(tiltfile).toMatch(/PG = RELEASE \+ '-pg'/);
  });

  it('brings up the object store agent of every data zone with the replication service', () => {
    const zones = (chartValues('values.yaml')['topology'] as { dataZones: { name: string }[] }).dataZones.map(
      (zone) => `'${zone.name}'`,
    );
    expect(constant('DATA_ZONES')).toBe(`[${zones.join(', ')}]`);
    expect(tiltfile).toMatch(/k8s_resource\('%s-objects-%s' % \(RELEASE, zone\)/);
  });

  it('generates code in a local resource, live-updates sources, and labels its resources', () => {
    expect(tiltfile).toMatch(/local_resource\(\s*'codegen',\s*cmd='npm run gen'/);
    expect(tiltfile).toMatch(/live_update=\[/);
    expect(tiltfile).toMatch(/sync\('services', '\/app\/services'\)/);
    for (const label of ['build', 'data', 'migrations', 'services', 'gateway'])
      expect(tiltfile).toContain(`labels=['${label}']`);
    const packageJson = parseYaml(readText(path.join(REPO_ROOT, 'package.json'))) as {
      scripts: Record<string, string>;
    };
    expect(packageJson.scripts['gen']).toBeDefined();
    expect(packageJson.scripts['typecheck']).toBeDefined();
  });
});
