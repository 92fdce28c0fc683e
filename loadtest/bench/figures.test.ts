import { composedFloor, share, summarise, withId } from './figures';

describe('bench figures', () => {
  const row = (requestsPerSecond: number) => ({ ...summarise('x', [1, 2, 3], 1, 0, 0), requestsPerSecond });

  it('composes the floor of one gateway hop from the raw HTTP and raw gRPC ceilings (the issue: 66,766 and 6,492 give ~5,900)', () => {
    const floor = composedFloor(row(66_766), row(6_492));
    expect(floor).toMatchObject({ id: 'composed-floor', requestsPerSecond: 5_917, computed: true });
    expect(composedFloor(row(0), row(6_492)).requestsPerSecond).toBe(0);
  });

  it('gives rows stable ids and shares as percentages of their base', () => {
    expect(withId('raw-http', row(10)).id).toBe('raw-http');
    expect(share(row(1_973), row(5_917), 'composed floor')).toBe('33.3% of composed floor');
    expect(share(row(1), undefined, 'x')).toBeUndefined();
  });
});
