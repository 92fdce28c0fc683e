import { IdentityServiceService, LoginRequest } from '../gen/mch/identity/v1/identity';
import { BookAppointmentRequest, SchedulingServiceService } from '../gen/mch/scheduling/v1/scheduling';
import { serviceRules } from './proto-rules';

describe('the proto annotations the kit enforces', () => {
  const identity = serviceRules(
    'mch/identity/v1/identity.proto',
    'mch.identity.v1.IdentityService',
    IdentityServiceService,
  );

  it('reads the public methods of identity from (mch.common.v1.public), nothing else', () => {
    expect([...identity.publicMethods].sort()).toEqual([
      'activateResident',
      'getInstitution',
      'getJwks',
      'issueServiceToken',
      'listInstitutions',
      'login',
      'logout',
      'refresh',
    ]);
  });

  it('names every empty required field of a decoded request, and none of a full one', () => {
    const login = identity.required.get('login');
    expect(login).toBeDefined();
    expect(login?.(LoginRequest.fromPartial({}))).toEqual([
      { field: 'username', description: 'is required' },
      { field: 'password', description: 'is required' },
    ]);
    expect(login?.(LoginRequest.fromPartial({ username: 'a', password: '' }))).toEqual([
      { field: 'password', description: 'is required' },
    ]);
    expect(login?.(LoginRequest.fromPartial({ username: 'a', password: 'b' }))).toEqual([]);
    expect(identity.required.has('listInstitutions')).toBe(false);
  });

  it('treats an absent message as missing', () => {
    const scheduling = serviceRules(
      'mch/scheduling/v1/scheduling.proto',
      'mch.scheduling.v1.SchedulingService',
      SchedulingServiceService,
    );
    const book = scheduling.required.get('bookAppointment');
    expect(book?.(BookAppointmentRequest.fromPartial({ patientId: 'p' }))).toEqual([
      { field: 'start', description: 'is required' },
    ]);
    expect(book?.(BookAppointmentRequest.fromPartial({ start: new Date() }))).toEqual([]);
  });
});
