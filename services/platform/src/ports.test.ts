import { DEFAULT_PORTS, PortConfigError, assertPortsFree, portEnvName, resolvePorts } from './ports';
import { createServer } from 'node:net';

describe('platform ports', () => {
  test('each port has an MCH_PORT_* override named after it', () => {
    expect(portEnvName('etcd')).toBe('MCH_PORT_ETCD');
    expect(portEnvName('etcdPeer')).toBe('MCH_PORT_ETCD_PEER');
    expect(portEnvName('postgresAzA')).toBe('MCH_PORT_POSTGRES_AZ_A');
    expect(portEnvName('readWrite')).toBe('MCH_PORT_READ_WRITE');
  });

  test('defaults, then environment, then explicit overrides', () => {
    const ports = resolvePorts({ MCH_PORT_ETCD: '3479', MCH_PORT_REDIS: '7380' }, { redis: 7381 });
    expect(ports.etcd).toBe(3479);
    expect(ports.redis).toBe(7381);
    expect(ports.readWrite).toBe(DEFAULT_PORTS.readWrite);
  });

  test('every invalid value and every port given twice is reported at once', () => {
    let caught: unknown;
    try {
      resolvePorts({ MCH_PORT_ETCD: 'abc', MCH_PORT_REDIS: '70000', MCH_PORT_GATEWAY: '5500' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PortConfigError);
    const problems = (caught as PortConfigError).problems;
    expect(problems).toEqual([
      'MCH_PORT_ETCD=abc is not a TCP port',
      'MCH_PORT_REDIS=70000 is not a TCP port',
      'port 5500 is given to both readWrite and gateway',
    ]);
  });

  test('a port another program listens on is refused by name', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(assertPortsFree([{ name: 'redis', port }])).rejects.toThrow(
        `port already in use: redis ${port} (override with MCH_PORT_REDIS)`,
      );
    } finally {
      server.close();
    }
  });
});
