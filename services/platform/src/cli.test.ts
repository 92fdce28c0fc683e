// The platform's command line: --help on every subcommand prints its usage and starts nothing; unknown flags and
// wrong arguments are usage errors (exit 2) naming what was wrong; status lines have the scripted format.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main';
import { endpointLines, formatEndpointLines, withoutPassword } from './endpoint-lines';
import type { PlatformEndpoints } from './platform';
import { DEFAULT_PORTS } from './ports';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function run(argv: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  const error = jest
    .spyOn(console, 'error')
    .mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('platform command line', () => {
  let dataDir: string;
  const saved = process.env['MCH_DATA_DIR'];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mch-cli-'));
    process.env['MCH_DATA_DIR'] = join(dataDir, 'platform');
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
    if (saved === undefined) delete process.env['MCH_DATA_DIR'];
    else process.env['MCH_DATA_DIR'] = saved;
  });

  const subcommands: readonly (readonly string[])[] = [
    ['up'],
    ['up', '--detach'],
    ['up', '--free-ports'],
    ['status'],
    ['down'],
    ['backup'],
    ['backup', 'info'],
    ['measure'],
    ['drill'],
    ['drill', 'zone-loss'],
    ['drill', 'pitr'],
    ['zone', 'kill', 'az-a'],
    ['objects', 'stop', 'az-b'],
    ['service', 'kill', 'records'],
    ['service-credentials'],
  ];

  it.each(subcommands)('%s … --help prints the usage and starts nothing', async (...argv) => {
    const answer = await run([...argv, '--help']);
    expect(answer).toEqual({ code: 0, out: expect.stringContaining('usage: npm run platform --'), err: '' });
    expect(readdirSync(dataDir)).toEqual([]); // no data dir, no pid file: nothing started
  });

  it('a bare command prints the overview of every subcommand', async () => {
    const answer = await run([]);
    expect(answer.code).toBe(0);
    for (const command of ['up', 'status', 'down', 'backup', 'drill', 'measure'])
      expect(answer.out).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each([
    [['up', '--bogus'], "Unknown option '--bogus'"],
    [['up', '--services'], "Option '--services <value>' argument missing"],
    [['up', '--services', 'records,nosuch'], '--services: unknown services nosuch'],
    [['up', '--restore-from', '/x'], '--restore-from <data dir> and --restore-to <time> go together'],
    [['up', '--restore-from', '/x', '--restore-to', 'yesterday'], '--restore-to yesterday: not a time'],
    [['up', 'extra'], 'unexpected argument "extra"'],
    [['status', '--json'], "Unknown option '--json'"],
    [['down', 'now'], 'unexpected argument "now"'],
    [['backup', 'weekly'], 'backup weekly: expected full, diff, incr or info'],
    [['zone', 'kill'], 'missing argument'],
    [['zone', 'explode', 'az-a'], 'zone explode: expected one of'],
    [['drill', 'zone-loss', '--writers', 'many'], '--writers many: expected a whole number'],
    [['drill', 'zone-loss', '--fast'], "Unknown option '--fast'"],
    [['drill', 'meteor'], 'unknown drill meteor'],
    [['launch'], 'unknown command "launch"'],
  ])('%j is a usage error, exit 2: %s', async (argv, message) => {
    const answer = await run(argv);
    expect(answer.code).toBe(2);
    expect(answer.err).toContain(message);
    expect(answer.err).toContain('usage: ');
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('status on a data dir without a platform says so, exit 3', async () => {
    const answer = await run(['status']);
    expect(answer).toEqual({ code: 3, out: '', err: `no platform is running on ${join(dataDir, 'platform')}` });
  });
});

describe('status endpoint lines', () => {
  const ports = { ...DEFAULT_PORTS };
  const endpoints: PlatformEndpoints = {
    dataDir: '/d',
    durability: 'available',
    ports,
    rwUrl: 'postgres://mch_app:s3cr%2Ft@127.0.0.1:5500/mch',
    serviceDatabaseUrls: {},
    roUrl: 'postgres://mch_app:s3cr%2Ft@127.0.0.1:5501/mch',
    redisUrl: 'redis://127.0.0.1:6380',
    gatewayUrl: 'http://127.0.0.1:8080',
    etcdUrl: 'http://127.0.0.1:2479',
    haproxyStatsUrl: 'http://127.0.0.1:7001/',
    patroniUrls: { 'az-a': 'http://127.0.0.1:8008', 'az-b': 'http://127.0.0.1:8009' },
    serviceAddresses: { identity: '127.0.0.1:50051', replication: '127.0.0.1:50056', gateway: '127.0.0.1:8080' },
    metricsUrls: {
      gateway: 'http://127.0.0.1:8080/metrics',
      replication: 'http://127.0.0.1:9466/metrics',
      'objects-az-a': 'http://127.0.0.1:9470/metrics',
    },
    objectStores: { 'az-a': { address: '127.0.0.1:50070', dir: '/d/objects/az-a' } },
    runDir: '/d/run',
    logDir: '/d/logs',
  };

  it('lists the gateway first, every metrics endpoint, every service and every listener, one "<name> <address>" each', () => {
    expect(formatEndpointLines(endpoints)).toEqual([
      'gateway http://127.0.0.1:8080',
      'gateway-metrics http://127.0.0.1:8080/metrics',
      'replication-metrics http://127.0.0.1:9466/metrics',
      'objects-az-a-metrics http://127.0.0.1:9470/metrics',
      'identity 127.0.0.1:50051',
      'replication 127.0.0.1:50056',
      'objects-az-a 127.0.0.1:50070',
      'postgres-rw postgres://mch_app@127.0.0.1:5500/mch',
      'postgres-ro postgres://mch_app@127.0.0.1:5501/mch',
      'postgres-az-a 127.0.0.1:5433',
      'postgres-az-b 127.0.0.1:5434',
      'patroni-az-a http://127.0.0.1:8008',
      'patroni-az-b http://127.0.0.1:8009',
      'etcd http://127.0.0.1:2479',
      'etcd-peer http://127.0.0.1:2480',
      'haproxy-stats http://127.0.0.1:7001/',
      'redis redis://127.0.0.1:6380',
    ]);
  });

  it('names are unique and no line carries a password', () => {
    const lines = endpointLines(endpoints);
    expect(new Set(lines.map((line) => line.name)).size).toBe(lines.length);
    expect(lines.map((line) => line.address).join(' ')).not.toContain('s3cr');
    expect(withoutPassword('postgres://u:p@h:1/d')).toBe('postgres://u@h:1/d');
  });
});
