// Validates Kubernetes objects against the schemas of the pinned kubernetes-models release and against models that
// @kubernetes-models/crd-generate made from vendors' CRDs. Runs under plain Node (the packages are ESM only, which
// jest 29 cannot load): reads {objects, crdModelDirs} as JSON on stdin, writes one result per object on stdout.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runValidateFunc } from '@kubernetes-models/validate';

const input = JSON.parse(readFileSync(0, 'utf8'));

/** `apps/v1` + `Deployment` -> the kubernetes-models module of that kind; the core group has no prefix. */
function builtInModule(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

/** The generated schema module of a custom kind, found through the model file crd-generate wrote for it. */
function customSchema(apiVersion, kind) {
  for (const dir of input.crdModelDirs) {
    const model = path.join(dir, ...apiVersion.split('/'), `${kind}.ts`);
    if (!existsSync(model)) continue;
    const schema = /from "\.\.\/\.\.\/_schemas\/(\w+)"/.exec(readFileSync(model, 'utf8'))?.[1];
    if (schema) return pathToFileURL(path.join(dir, '_schemas', `${schema}.js`)).href;
  }
  return undefined;
}

/**
 * Model packages of kubernetes-models for operators' CRDs, used when no vendored CRD file is found:
 * prometheus-operator's, and CloudNativePG's (generated from its Go API types, `api/v1`).
 */
const CRD_PACKAGES = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'postgresql.cnpg.io': '@kubernetes-models/cloudnative-pg',
};

/**
 * The Barman Cloud plugin's ObjectStore has no model package; its spec embeds barman-cloud's
 * BarmanObjectStoreConfiguration, which @kubernetes-models/cloudnative-pg does model (barman-cloud `pkg/api`). Without
 * the vendored CRD, `spec.configuration` is judged by that model, and the result says the rest was not.
 */
const PARTIAL_PACKAGES = {
  'barmancloud.cnpg.io/v1 ObjectStore': {
    module:
      '@kubernetes-models/cloudnative-pg/github.com/cloudnative-pg/barman-cloud/pkg/api/BarmanObjectStoreConfiguration',
    model: 'BarmanObjectStoreConfiguration',
    field: (object) => object.spec?.configuration,
    judged: 'spec.configuration',
  },
};

async function validatorOf(apiVersion, kind) {
  const custom = customSchema(apiVersion, kind);
  if (custom) {
    const { validate } = await import(custom);
    return { source: 'crd', validate: (object) => runValidateFunc(validate, object) };
  }
  const group = apiVersion.split('/')[0];
  if (CRD_PACKAGES[group]) {
    const module = await import(`${CRD_PACKAGES[group]}/${apiVersion}/${kind}`);
    return { source: 'crd-package', validate: (object) => new module[kind](object).validate() };
  }
  const partial = PARTIAL_PACKAGES[`${apiVersion} ${kind}`];
  if (partial) {
    const module = await import(partial.module);
    const validate = (object) => new module[partial.model](partial.field(object) ?? {}).validate();
    return { source: 'crd-package-partial', judged: partial.judged, validate };
  }
  try {
    const module = await import(builtInModule(apiVersion, kind));
    const Model = module[kind];
    if (typeof Model === 'function')
      return { source: 'kubernetes', validate: (object) => new Model(object).validate() };
  } catch (error) {
    if (error?.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
  return undefined;
}

const results = [];
for (const object of input.objects) {
  const name = `${object.kind}/${object.metadata?.name ?? '?'}`;
  const validator = await validatorOf(String(object.apiVersion), String(object.kind));
  if (!validator) {
    results.push({
      name,
      apiVersion: object.apiVersion,
      kind: object.kind,
      source: 'none',
      errors: [`no schema for ${object.apiVersion} ${object.kind}`],
    });
    continue;
  }
  const result = { name, apiVersion: object.apiVersion, kind: object.kind, source: validator.source };
  if (validator.judged) result.judged = validator.judged;
  try {
    validator.validate(object);
    results.push({ ...result, errors: [] });
  } catch (error) {
    results.push({ ...result, errors: [String(error?.message ?? error)] });
  }
}
process.stdout.write(JSON.stringify(results));
