// Every gateway route the k6 scripts call is one the gateway serves: each `apiGet`/`apiPost` route template in
// loadtest/k6 must be a `google.api.http` binding of the protos in proto/, read with the gateway's own route table
// (collectRoutes), so a script cannot drift from the contract. Templates are compared with their {variables}
// blanked, so a renamed path field does not matter, a renamed or removed path does.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { protoDir } from '../../services/common/src/paths';
import { collectRoutes } from '../../services/gateway/src/http-rules';
import { findServiceProtos, loadProtoRoot } from '../../services/gateway/src/proto-registry';

const K6_DIR = __dirname;
const CALLERS: ReadonlyMap<string, 'GET' | 'POST'> = new Map([
  ['apiGet', 'GET'],
  ['apiPost', 'POST'],
]);

/** The routes of DESIGN.md §8 the smoke test promises to call once each. */
const MAIN_ROUTES = [
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/logout',
  'GET /v1/me',
  'GET /v1/institutions',
  'GET /v1/institutions/{id}',
  'POST /v1/patients',
  'GET /v1/patients/{id}',
  'GET /v1/patients',
  'POST /v1/patients/{patient_id}/activation-codes',
  'POST /v1/residents/activate',
  'GET /v1/patients/{patient_id}/record',
  'GET /v1/patients/{patient_id}/record/history',
  'GET /v1/patients/{patient_id}/handbook',
  'POST /v1/patients/{patient_id}/pregnancies',
  'POST /v1/pregnancies/{pregnancy_id}/visits',
  'POST /v1/pregnancies/{pregnancy_id}/risk-assessments',
  'POST /v1/pregnancies/{pregnancy_id}/delivery',
  'POST /v1/children/{child_patient_id}/growth',
  'POST /v1/children/{child_patient_id}/immunizations',
  'GET /v1/statistics',
  'GET /v1/slots',
  'POST /v1/appointments',
  'POST /v1/appointments/{appointment_id}/cancel',
  'GET /v1/patients/{patient_id}/appointments',
  'GET /v1/patients/{patient_id}/due-checks',
  'GET /v1/referrals/suggestions',
  'POST /v1/referrals',
  'GET /v1/referrals/{referral_id}',
  'POST /v1/referrals/{referral_id}/receive',
  'POST /v1/referrals/{referral_id}/accept',
  'GET /v1/institutions/{institution_id}/referrals',
  'POST /v1/consultations',
  'GET /v1/consultations/{consultation_id}',
  'POST /v1/consultations/{consultation_id}/messages',
  'GET /v1/consultations/{consultation_id}/messages',
  'GET /v1/replication/status',
];

interface RouteUse {
  readonly route: string;
  readonly at: string;
}

function scripts(dir = K6_DIR): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return scripts(full);
    return entry.endsWith('.js') ? [full] : [];
  });
}

const blank = (template: string): string => template.replace(/\{[^}]+\}/g, '{}');

/** `GET /v1/patients/{}/record` for every call in the scripts, and every way a call hides its route from this test. */
function routesUsed(): { uses: RouteUse[]; problems: string[] } {
  const uses: RouteUse[] = [];
  const problems: string[] = [];
  for (const file of scripts()) {
    const source = ts.createSourceFile(
      file,
      readFileSync(file, 'utf8'),
      ts.ScriptTarget.ES2020,
      true,
      ts.ScriptKind.JS,
    );
    const at = (node: ts.Node): string =>
      `${path.relative(K6_DIR, file)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    const routeArguments = new Set<ts.Node>();
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = ts.isIdentifier(node.expression)
          ? node.expression.text
          : ts.isPropertyAccessExpression(node.expression)
            ? node.expression.name.text
            : '';
        const verb = CALLERS.get(callee);
        if (verb) {
          const route = node.arguments[1];
          if (route && (ts.isStringLiteral(route) || ts.isNoSubstitutionTemplateLiteral(route))) {
            routeArguments.add(route);
            uses.push({ route: `${verb} ${route.text}`, at: at(node) });
          } else {
            problems.push(`${at(node)}: ${callee} without a literal route template`);
          }
        }
      }
      if (
        (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node)) &&
        /^\/v1\//.test(node.text) &&
        !routeArguments.has(node)
      ) {
        problems.push(
          `${at(node)}: "${node.text}" is a gateway path outside apiGet/apiPost, where this test cannot see it`,
        );
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { uses, problems };
}

function protoRoutes(): Set<string> {
  const dir = protoDir();
  const root = loadProtoRoot({
    includeDirs: [dir, path.join(dir, 'third_party')],
    files: findServiceProtos(dir),
    generatedDirs: [],
  });
  return new Set(collectRoutes(root).map((route) => `${route.verb} ${blank(route.template)}`));
}

describe('the routes the k6 scripts call', () => {
  const { uses, problems } = routesUsed();

  it('are all visible to this test: literal templates passed to apiGet/apiPost', () => {
    expect(problems).toEqual([]);
  });

  it('include every main route in the smoke test (and its helpers)', () => {
    const smoke = new Set(
      uses
        .filter((use) => use.at.startsWith('smoke.js') || use.at.startsWith(path.join('lib', 'api.js')))
        .map((use) => use.route),
    );
    expect(MAIN_ROUTES.filter((route) => !smoke.has(route))).toEqual([]);
  });

  it('exist in the google.api.http annotations of proto/ (scheduling, referral and consultation since their merge)', () => {
    const served = protoRoutes();
    const missing = uses
      .filter((use) => !served.has(`${use.route.split(' ')[0]} ${blank(use.route.split(' ')[1] as string)}`))
      .map((use) => `${use.route} (${use.at})`);
    expect([...new Set(missing)].sort()).toEqual([]);
  });
});
