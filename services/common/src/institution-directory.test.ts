// The kit's institution directory against a real grpc-js server that plays identity's ListInstitutions: paging,
// level mapping, the refresh on an unknown id (rate-limited), and the stale copy served while identity is down.
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import {
  IdentityServiceService,
  Institution,
  InstitutionLevel,
  ListInstitutionsRequest,
  ListInstitutionsResponse,
} from './gen/mch/identity/v1/identity';
import { createChannelClient } from './grpc/client';
import { InstitutionDirectory } from './institution-directory';

function institution(id: string, level: InstitutionLevel, withLocation = true): Institution {
  return Institution.fromPartial({
    id,
    code: `CX-${id.toUpperCase()}`,
    name: `Institution ${id}`,
    level,
    countyCode: 'lufeng',
    location: withLocation ? { latitude: 25.1, longitude: 102.1 } : undefined,
    capabilities: ['antenatal'],
  });
}

let server: Server;
let address: string;
let members: Institution[] = [];
let calls = 0;
let down = false;

beforeAll(async () => {
  server = new Server();
  server.addService(IdentityServiceService, {
    listInstitutions: (
      call: ServerUnaryCall<ListInstitutionsRequest, ListInstitutionsResponse>,
      callback: sendUnaryData<ListInstitutionsResponse>,
    ) => {
      calls++;
      if (down) return callback({ code: status.UNAVAILABLE, details: 'identity is down' });
      // Two per page, so the directory must follow page tokens.
      const start = Number(call.request.pageToken || '0');
      const page = members.slice(start, start + 2);
      const next = start + 2 < members.length ? String(start + 2) : '';
      callback(
        null,
        ListInstitutionsResponse.fromPartial({ institutions: page, nextPageToken: next, totalSize: members.length }),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => server.forceShutdown());

beforeEach(() => {
  members = [
    institution('pref', InstitutionLevel.INSTITUTION_LEVEL_PREFECTURE),
    institution('lfs', InstitutionLevel.INSTITUTION_LEVEL_COUNTY),
    institution('twn', InstitutionLevel.INSTITUTION_LEVEL_TOWNSHIP, false),
  ];
  calls = 0;
  down = false;
});

test('loads every page once, maps levels, keeps a missing location undefined, finds by id or code', async () => {
  const directory = new InstitutionDirectory(createChannelClient(address));
  const all = await directory.all();
  expect([...all.keys()]).toEqual(['pref', 'lfs', 'twn']);
  expect(calls).toBe(2);
  expect(all.get('pref')?.level).toBe('prefecture');
  expect(all.get('lfs')).toMatchObject({
    level: 'county',
    countyCode: 'lufeng',
    location: { latitude: 25.1, longitude: 102.1 },
    capabilities: ['antenatal'],
  });
  expect(all.get('twn')).toMatchObject({ level: 'township', location: undefined });
  expect((await directory.find('cx-lfs'))?.id).toBe('lfs');
  expect((await directory.find('LFS'))?.id).toBe('lfs');
  expect(calls).toBe(2);
});

test('an unknown id looks again once the copy is older than the miss interval, not on every miss', async () => {
  const directory = new InstitutionDirectory(createChannelClient(address), { missRefreshMs: 200 });
  await directory.all();
  members.push(institution('new', InstitutionLevel.INSTITUTION_LEVEL_TOWNSHIP));
  expect(await directory.get('new')).toBeUndefined(); // loaded moments ago: no second load
  expect(calls).toBe(2);
  await new Promise((resolve) => setTimeout(resolve, 250));
  expect((await directory.get('new'))?.level).toBe('township');
  expect(calls).toBe(4);
  expect(await directory.get('nobody')).toBeUndefined();
  expect(calls).toBe(4);
});

test('identity down: UNAVAILABLE with nothing loaded, the stale copy once something was', async () => {
  down = true;
  const cold = new InstitutionDirectory(createChannelClient(address));
  await expect(cold.all()).rejects.toMatchObject({ code: status.UNAVAILABLE });
  down = false;
  const warm = new InstitutionDirectory(createChannelClient(address), { ttlMs: 0 });
  expect((await warm.all()).size).toBe(3);
  down = true;
  expect((await warm.all()).size).toBe(3);
  expect((await warm.get('pref'))?.level).toBe('prefecture');
});
