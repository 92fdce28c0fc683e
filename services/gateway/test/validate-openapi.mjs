// Validates the OpenAPI document read from standard input with @apidevtools/swagger-parser (the official OpenAPI
// JSON schemas plus its own checks: unique parameters, path variables declared, unique operationIds). A separate
// process: the package is an ES module, which Jest's module loader cannot require. Exit 0 when valid; otherwise
// the validator's message on standard error and exit 1.
import SwaggerParser from '@apidevtools/swagger-parser';

let text = '';
for await (const chunk of process.stdin) text += chunk;
try {
  await SwaggerParser.validate(JSON.parse(text));
  process.stdout.write('valid\n');
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
