import { ConcurrencyLimits, routeClassOf } from './load-shedding';

describe('load-shedding route classes', () => {
  it.each([
    ['GET', '/v1/patients/p1/record', 'read'],
    ['GET', '/v1/institutions?pageSize=200', 'read'],
    ['POST', '/v1/appointments', 'write'],
    ['POST', '/v1/auth/login', 'write'],
    ['PATCH', '/v1/referrals/r1', 'write'],
    ['GET', '/v1/consultations/c1/events', 'stream'],
    ['GET', '/v1/replication/events', 'stream'],
    ['GET', '/v1/high-risk-cases/events?county=lufeng', 'stream'],
    ['GET', '/v1/high-risk-cases', 'read'],
    ['POST', '/v1/objects', 'heavy'],
    ['GET', '/v1/objects/o1', 'heavy'],
    ['GET', '/v1/statistics?county=lufeng', 'heavy'],
    ['GET', '/fhir/R4/$export', 'heavy'],
    ['GET', '/fhir/R4/Group/532301/$export', 'heavy'],
    ['GET', '/fhir/R4/Patient?identifier=x', 'read'],
  ])('%s %s is a %s', (method, url, expected) => {
    expect(routeClassOf(method, url)).toBe(expected);
  });

  it('never sheds probes and scrapes', () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/readyz?verbose=1'])
      expect(routeClassOf('GET', url)).toBeUndefined();
  });

  it('does not take a path that merely starts like a heavy one', () => {
    expect(routeClassOf('GET', '/v1/objectsx')).toBe('read');
    expect(routeClassOf('GET', '/v1/statistics-catalogue')).toBe('read');
  });
});

describe('concurrency limits', () => {
  it('refuses past the bound of a class and admits again once a slot is released, each class apart', () => {
    const limits = new ConcurrencyLimits({ read: 2, write: 1, heavy: 0, stream: 1 });
    expect([limits.tryAcquire('read'), limits.tryAcquire('read'), limits.tryAcquire('read')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(limits.tryAcquire('write')).toBe(true);
    expect(limits.tryAcquire('write')).toBe(false);
    limits.release('read');
    expect(limits.tryAcquire('read')).toBe(true);
    expect(limits.state()).toEqual({
      read: { inFlight: 2, limit: 2 },
      write: { inFlight: 1, limit: 1 },
      heavy: { inFlight: 0, limit: 0 },
      stream: { inFlight: 0, limit: 1 },
    });
  });

  it('treats a bound of 0 as unbounded, and never counts below zero', () => {
    const limits = new ConcurrencyLimits({ read: 0, write: 0, heavy: 0, stream: 0 });
    for (let i = 0; i < 10_000; i++) expect(limits.tryAcquire('heavy')).toBe(true);
    limits.release('stream');
    expect(limits.state().stream.inFlight).toBe(0);
  });
});
