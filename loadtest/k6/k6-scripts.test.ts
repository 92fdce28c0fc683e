// The k6 scripts are plain JavaScript that no compiler sees before k6 runs them, so this test is their compiler:
// every file under loadtest/k6 type-checks against @types/k6 (tsconfig.json here: wrong k6 API use, a misspelt
// option, a Node or browser global is an error), imports only k6 built-ins and its own modules, and uses no syntax
// that k6 v0.48 cannot parse.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const K6_DIR = __dirname;
const ENTRY_SCRIPTS = ['smoke.js', 'journeys.js', 'grpc-records.js', 'grpc-scheduling.js'];

function scriptsOnDisk(dir = K6_DIR): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return scriptsOnDisk(full);
    return entry.endsWith('.js') ? [full] : [];
  });
}

function loadProgram(): { program: ts.Program; configErrors: readonly ts.Diagnostic[] } {
  const configPath = path.join(K6_DIR, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) return { program: ts.createProgram([], {}), configErrors: [read.error] };
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, K6_DIR, undefined, configPath);
  return {
    program: ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options }),
    configErrors: parsed.errors,
  };
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (fileName) => fileName,
  getCurrentDirectory: () => path.resolve(K6_DIR, '../..'),
  getNewLine: () => '\n',
};

function where(source: ts.SourceFile, node: ts.Node): string {
  const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
  return `${path.relative(path.resolve(K6_DIR, '../..'), source.fileName)}:${line + 1}:${character + 1}`;
}

/** Syntax k6 v0.48 rejects or mis-handles, and imports it cannot resolve (no npm at run time). */
function portabilityProblems(source: ts.SourceFile): string[] {
  const problems: string[] = [];
  const visit = (node: ts.Node): void => {
    // k6 before v0.49 ran scripts through goja with a Babel pass that lacks these (grafana/k6#2168, fixed in #3456).
    if (
      (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || ts.isCallExpression(node)) &&
      node.questionDotToken
    ) {
      problems.push(`${where(source, node)} optional chaining (?.) does not parse on k6 v0.48`);
    }
    if (ts.isBinaryExpression(node)) {
      const operator = node.operatorToken.kind;
      if (operator === ts.SyntaxKind.QuestionQuestionToken)
        problems.push(`${where(source, node)} nullish coalescing (??) does not parse on k6 v0.48`);
      if (
        operator === ts.SyntaxKind.QuestionQuestionEqualsToken ||
        operator === ts.SyntaxKind.BarBarEqualsToken ||
        operator === ts.SyntaxKind.AmpersandAmpersandEqualsToken
      ) {
        problems.push(`${where(source, node)} logical assignment does not parse on k6 v0.48`);
      }
    }
    if (ts.isPrivateIdentifier(node))
      problems.push(`${where(source, node)} private class members do not parse on k6 v0.48`);
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const specifier = node.moduleSpecifier.text;
      if (!/^k6(\/|$)/.test(specifier) && !/^\.\.?\//.test(specifier))
        problems.push(
          `${where(source, node)} imports "${specifier}": only k6 built-ins and relative modules exist at run time`,
        );
      if (/^\.\.?\//.test(specifier) && !specifier.endsWith('.js'))
        problems.push(
          `${where(source, node)} imports "${specifier}" without its .js extension (k6 resolves the path as written)`,
        );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

describe('the k6 scripts', () => {
  const { program, configErrors } = loadProgram();
  const checkedScripts = program
    .getSourceFiles()
    .map((source) => source.fileName)
    .filter((fileName) => fileName.endsWith('.js'))
    .map((fileName) => path.resolve(fileName));

  it('are all in the type-checked program, entry scripts included', () => {
    expect(configErrors.map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))).toEqual([]);
    expect([...checkedScripts].sort()).toEqual(scriptsOnDisk().sort());
    for (const entry of ENTRY_SCRIPTS) expect(checkedScripts).toContain(path.join(K6_DIR, entry));
  });

  it('type-check against @types/k6 without a single diagnostic', () => {
    const diagnostics = ts.getPreEmitDiagnostics(program);
    expect(ts.formatDiagnostics(diagnostics, formatHost)).toBe('');
  });

  it('use only syntax and imports k6 v0.48 runs', () => {
    const problems = program
      .getSourceFiles()
      .filter((source) => source.fileName.endsWith('.js'))
      .flatMap(portabilityProblems);
    expect(problems).toEqual([]);
  });
});
