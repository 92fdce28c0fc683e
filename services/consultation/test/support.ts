// Test support for consultations through the gateway: demo logins, a patient and a resident, extra consultation
// and gateway processes on the same backends, and live subscribers.
import { randomBytes } from 'node:crypto';
import { SseStream } from '../../../loadtest/bench/sse-client';
import { freePort, ServiceProcess, waitFor } from '../../common/test/processes';
import { Api, fieldsOf, nextFemaleId, ok } from '../../identity/test/support';
export { fieldsOf, ok };
import type { TestPlatform } from '../../platform/test/platform-env';

export const consultationPurpose = { 'x-mch-purpose': 'consultation' };

export interface Session {
  readonly token: string;
  readonly accountId: string;
  readonly institutionId: string;
}

export async function session(api: Api, username: string): Promise<Session> {
  const { accessToken } = await api.login(username);
  const me = await ok(api.call('GET', '/v1/me', { token: accessToken }));
  return { token: accessToken, accountId: me.account.id, institutionId: me.account.institutionId ?? '' };
}

/**
 * A newly registered woman (by a Lufeng township midwife). Resident IDs count up per test process from the birth
 * date, so a file run beside these passes its own date to get women of its own.
 */
export async function newPatient(api: Api, midwife: Session, birthDate = '1993-07-21'): Promise<string> {
  const body = await ok(
    api.call('POST', '/v1/patients', {
      token: midwife.token,
      headers: { 'x-mch-purpose': 'registration' },
      body: { nationalId: nextFemaleId(birthDate), name: '张丽华', countyCode: 'lufeng' },
    }),
  );
  return body.patient.id;
}

/** A clinician-specialist thread about the patient, opened by `county` to `specialist`'s institution, which joined it. */
export async function openJoinedThread(
  api: Api,
  county: Session,
  specialist: Session,
  patientId: string,
): Promise<string> {
  const { consultation } = await ok(
    api.call('POST', '/v1/consultations', {
      token: county.token,
      headers: consultationPurpose,
      body: {
        kind: 'CONSULTATION_KIND_CLINICIAN_SPECIALIST',
        patientId,
        addressedInstitutionId: specialist.institutionId,
        text: '请会诊',
      },
    }),
  );
  await ok(
    api.call('POST', `/v1/consultations/${consultation.id}/join`, {
      token: specialist.token,
      headers: consultationPurpose,
      body: {},
    }),
  );
  return consultation.id;
}

/** A resident account activated for `patientId` with a code the clinician issued. */
export async function newResident(api: Api, clinician: Session, patientId: string): Promise<Session> {
  const code = await ok(
    api.call('POST', `/v1/patients/${patientId}/activation-codes`, {
      token: clinician.token,
      headers: { 'x-mch-purpose': 'registration' },
      body: {},
    }),
  );
  const activated = await ok(
    api.call('POST', '/v1/residents/activate', {
      body: {
        code: code.code,
        username: `resident.${randomBytes(4).toString('hex')}`,
        password: 'a resident passphrase',
      },
    }),
  );
  const token = activated.tokens.accessToken;
  const me = await ok(api.call('GET', '/v1/me', { token }));
  return { token, accountId: me.account.id, institutionId: '' };
}

/** A consultation process and a gateway in front of it, on the platform's database and identity. */
export class ExtraStack {
  readonly processes: ServiceProcess[] = [];
  gatewayUrl = '';

  constructor(
    private readonly platform: TestPlatform,
    private readonly consultationEnv?: NodeJS.ProcessEnv,
  ) {}

  async start(): Promise<this> {
    let consultationAddress = this.platform.serviceAddresses['consultation'] ?? '';
    if (this.consultationEnv) {
      const grpcPort = await freePort();
      consultationAddress = `127.0.0.1:${grpcPort}`;
      this.processes.push(
        new ServiceProcess('consultation', {
          SERVICE_NAME: 'consultation',
          GRPC_PORT: String(grpcPort),
          DATABASE_URL: this.platform.rwUrl,
          DATABASE_RO_URL: this.platform.roUrl,
          REDIS_URL: this.platform.redisUrl,
          IDENTITY_SERVICE_ADDR: this.platform.serviceAddresses['identity'],
          ...this.consultationEnv,
        }).start(),
      );
    }
    const httpPort = await freePort();
    this.gatewayUrl = `http://127.0.0.1:${httpPort}`;
    this.processes.push(
      new ServiceProcess('gateway', {
        SERVICE_NAME: 'gateway',
        HTTP_PORT: String(httpPort),
        IDENTITY_SERVICE_ADDR: this.platform.serviceAddresses['identity'],
        CONSULTATION_SERVICE_ADDR: consultationAddress,
        GATEWAY_SSE_HEARTBEAT_MS: '2000',
      }).start(),
    );
    return this;
  }

  /** Waits until a consultation read through this stack answers. */
  async ready(token: string): Promise<void> {
    await waitFor(
      async () =>
        (
          await fetch(`${this.gatewayUrl}/v1/consultations?pageSize=1`, {
            headers: { authorization: `Bearer ${token}` },
          })
        ).status === 200,
      60_000,
      'the extra consultation stack',
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((process) => process.stop()));
  }
}

/** A live subscriber of a thread through `gatewayUrl`, attached (its `ready` event seen) when this resolves. */
export async function subscribe(
  gatewayUrl: string,
  consultationId: string,
  session: Session,
  lastEventId?: string,
): Promise<SseStream> {
  const stream = await SseStream.open(`${gatewayUrl}/v1/consultations/${consultationId}/events`, {
    authorization: `Bearer ${session.token}`,
    ...consultationPurpose,
    ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
  });
  if (stream.status === 200) await stream.nextOf('ready');
  return stream;
}

/** The next `count` messages of a stream as `sequence:text`. */
export async function nextMessages(stream: SseStream, count: number): Promise<string[]> {
  const texts: string[] = [];
  while (texts.length < count) {
    const event = await stream.nextOf('message');
    const message = JSON.parse(event.data);
    if (event.id !== message.sequence)
      throw new Error(`event id ${event.id} is not the message's sequence ${message.sequence}`);
    texts.push(`${message.sequence}:${message.text ?? message.event}`);
  }
  return texts;
}
