import { ConfigError, int, loadConfig, port, serviceConfigSpec, str, url } from './config';

describe('loadConfig', () => {
  it('parses typed values and applies defaults', () => {
    const config = loadConfig(
      { NAME: str(), PORT: port({ default: 8080 }), POOL: int({ default: 5, min: 1 }) },
      { NAME: 'identity', POOL: '12' },
    );
    expect(config).toEqual({ NAME: 'identity', PORT: 8080, POOL: 12 });
  });

  it('fails listing every invalid key at once', () => {
    const attempt = (): unknown =>
      loadConfig(serviceConfigSpec, {
        GRPC_PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        PG_POOL_MAX: '0',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const keys = (error as ConfigError).problems.map((problem) => problem.split(':')[0]);
      expect(keys.sort()).toEqual(['DATABASE_URL', 'GRPC_PORT', 'LOG_LEVEL', 'PG_POOL_MAX', 'SERVICE_NAME'].sort());
    }
  });

  it('treats blank values as missing', () => {
    expect(() => loadConfig({ DATABASE_URL: url({ protocols: ['postgres'] }) }, { DATABASE_URL: '  ' })).toThrow(
      /DATABASE_URL: is required/,
    );
  });

  it('rejects out-of-range ports', () => {
    expect(() => loadConfig({ PORT: port() }, { PORT: '70000' })).toThrow(/PORT: must be at most 65535/);
  });
});
