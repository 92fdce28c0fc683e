// The platform's running gateway and its /openapi.json, as an API client meets them: the served document validates;
// its operations are the routes the gateway code registers (both directions) and every one of them is answered by
// the running gateway; the operations it marks public answer without a token and every other one is 401 without;
// the required fields it marks are the ones the services refuse when missing; the login example logs in; and /docs
// shows the document in a real Chromium, with nothing loaded from anywhere but the gateway.
import path from 'node:path';
import Ajv from 'ajv';
import { createLogger } from '../../common/src/logger';
import { platformProtoDirs } from '../../common/src/grpc/proto-rules';
import { protoDir } from '../../common/src/paths';
import { Api, fieldsOf } from '../../identity/test/support';
import { readTestPlatform } from '../../platform/test/platform-env';
import { buildGateway } from '../src/app';
import { loadGatewayConfig } from '../src/config';
import { findServiceProtos } from '../src/proto-registry';
import {
  documentedOperations,
  documentMismatch,
  examplesAgainstSchemas,
  servedOperations,
  validateOpenApi,
} from './openapi-checks';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const platform = readTestPlatform();
const api = new Api(platform.gatewayUrl);
const SOME_ID = '00000000-0000-4000-8000-000000000000';
let doc: Json;

beforeAll(async () => {
  const answer = await fetch(`${platform.gatewayUrl}/openapi.json`);
  expect(answer.status).toBe(200);
  doc = await answer.json();
});

it('serves a document that validates under swagger-parser', () => {
  expect(validateOpenApi(doc)).toEqual({ valid: true, message: 'valid' });
});

it("lists exactly the routes the gateway's code registers, and the running gateway answers every one it lists", async () => {
  const gateway = await buildGateway({
    config: loadGatewayConfig({ HTTP_PORT: '0' }),
    logger: createLogger('openapi-int', 'silent'),
    env: {},
    protos: {
      includeDirs: platformProtoDirs(),
      files: findServiceProtos(protoDir()),
      generatedDirs: [path.resolve(__dirname, '../../common/src/gen')],
    },
  });
  await gateway.app.ready(); // plugins (the object upload's scope) register their routes when the server is made ready
  const registered = servedOperations(gateway.registeredRoutes);
  await gateway.close();
  expect(documentMismatch(registered, documentedOperations(doc))).toEqual({
    servedButUndocumented: [],
    documentedButNotServed: [],
  });

  // Every documented operation, called without a token: never the gateway's "no route" 404; 401 exactly where
  // the document asks for a bearer token.
  const wrong: string[] = [];
  for (const [template, operations] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, operation] of Object.entries(operations)) {
      const url = template.replace(/\{[^}]+\}/g, SOME_ID);
      const abort = new AbortController();
      const response = await fetch(`${platform.gatewayUrl}${url}`, {
        method: method.toUpperCase(),
        headers: method === 'get' ? {} : { 'content-type': 'application/json' },
        body: method === 'get' ? undefined : '{}',
        signal: abort.signal,
      });
      const text = response.headers.get('content-type')?.startsWith('application/json') ? await response.text() : '';
      abort.abort();
      await response.body?.cancel().catch(() => undefined);
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      const unrouted = response.status === 404 && text.includes('no route for');
      if (unrouted || (response.status === 401) === isPublic)
        wrong.push(
          `${method.toUpperCase()} ${template}: ${response.status} (${isPublic ? 'public' : 'bearer'}) ${text.slice(0, 120)}`,
        );
    }
  }
  expect(wrong).toEqual([]);
}, 120_000);

it('logs in with the login example as documented, and its answer fits the schema', async () => {
  const login = doc.paths['/v1/auth/login'].post;
  const answer = await api.call('POST', '/v1/auth/login', {
    body: login.requestBody.content['application/json'].example,
  });
  expect(answer.status).toBe(200);
  const shape = structuredClone(doc);
  shape.paths['/v1/auth/login'].post.responses['200'].content['application/json'].example = answer.body;
  expect(
    examplesAgainstSchemas(shape, new Ajv({ strict: false, validateFormats: false, allErrors: true })).failures,
  ).toEqual([]);
});

it('marks required exactly the fields the services refuse when missing', async () => {
  const token = (await api.login('lufeng.clinician')).accessToken;
  const calls: Array<[string, string, string]> = [
    ['/v1/auth/login', 'post', 'mch.identity.v1.LoginRequest'],
    ['/v1/patients', 'post', 'mch.identity.v1.RegisterPatientRequest'],
    ['/v1/appointments', 'post', 'mch.scheduling.v1.BookAppointmentRequest'],
    ['/v1/referrals', 'post', 'mch.referral.v1.CreateReferralRequest'],
  ];
  let checked = 0;
  for (const [route, method, schema] of calls) {
    const example = doc.paths[route][method].requestBody.content['application/json'].example;
    const required: string[] = doc.components.schemas[schema].required;
    expect(required.length).toBeGreaterThan(0);
    for (const field of required) {
      const body = { ...example };
      delete body[field];
      const answer = await api.call(method.toUpperCase(), route, {
        token,
        body,
        headers: { 'x-mch-purpose': 'registration' },
      });
      expect([route, field, answer.status, fieldsOf(answer)]).toEqual([route, field, 400, [field]]);
      checked += 1;
    }
  }
  expect(checked).toBe(5);
});

it('shows the document at /docs in a real browser, from the gateway alone', async () => {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--headless',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    const origins = new Set<string>();
    const problems: string[] = [];
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${platform.gatewayUrl}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('MCH Alliance API');
    const login = page.locator('.opblock-post', { hasText: '/v1/auth/login' }).first();
    await login.waitFor({ timeout: 15_000 });
    await login.locator('.opblock-summary').click();
    await login.locator('.opblock-body').waitFor({ timeout: 15_000 });
    expect(await login.locator('.opblock-body').textContent()).toContain('lufeng.clinician');
    // Login is public: no padlock on it; a patient's record has one.
    expect(await login.locator('.authorization__btn').count()).toBe(0);
    expect(
      await page
        .locator('.opblock-get', { hasText: '/v1/patients/{patient_id}/record' })
        .first()
        .locator('.authorization__btn')
        .count(),
    ).toBe(1);
    expect([...origins]).toEqual([platform.gatewayUrl]);
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}, 90_000);
