import { processStartTime } from './proc';

describe('processStartTime', () => {
  it('tells when a process started, so that a reused pid is not mistaken for the process written down', () => {
    const started = processStartTime(process.pid);
    expect(started).toBeDefined();
    expect(Math.abs((started as number) - (Date.now() - process.uptime() * 1000))).toBeLessThan(2000);
    expect(processStartTime(2 ** 22 + 1)).toBeUndefined();
  });
});
