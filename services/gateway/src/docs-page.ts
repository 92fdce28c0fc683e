// GET /docs: the OpenAPI document as a browsable page, Swagger UI from the swagger-ui-dist npm package (Apache-2.0,
// SmartBear's own build of the UI, released with it), served from the gateway: no CDN, nothing fetched by the page
// but these files and /openapi.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { repoRoot } from '../../common/src/paths';
import { staticFileOperation, type Paths } from './openapi';

// Swagger UI sets inline style attributes, hence 'unsafe-inline' for styles only; scripts are the two files below.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'";

export function registerDocsPage(app: FastifyInstance): void {
  const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const staticDir = path.join(repoRoot(), 'services', 'gateway', 'static');
  const files: ReadonlyArray<[string, string, Buffer]> = [
    ['/docs', 'text/html; charset=utf-8', readFileSync(path.join(staticDir, 'docs.html'))],
    ['/docs/docs.js', 'text/javascript; charset=utf-8', readFileSync(path.join(staticDir, 'docs.js'))],
    [
      '/docs/swagger-ui-bundle.js',
      'text/javascript; charset=utf-8',
      readFileSync(path.join(dist, 'swagger-ui-bundle.js')),
    ],
    ['/docs/swagger-ui.css', 'text/css; charset=utf-8', readFileSync(path.join(dist, 'swagger-ui.css'))],
  ];
  for (const [url, type, body] of files) {
    app.get(url, async (_request, reply) =>
      reply
        .header('content-security-policy', DOCS_CSP)
        .header('cache-control', 'public, max-age=300')
        .type(type)
        .send(body),
    );
  }
}

/** The page and its files in /openapi.json. */
export function docsPageOpenApi(): Paths {
  return {
    '/docs': staticFileOperation('Gateway.Docs', 'This document as a browsable page (Swagger UI)', 'text/html'),
    '/docs/docs.js': staticFileOperation('Gateway.DocsScript', "The page's start-up script", 'text/javascript'),
    '/docs/swagger-ui-bundle.js': staticFileOperation(
      'Gateway.DocsSwaggerUi',
      'Swagger UI (swagger-ui-dist)',
      'text/javascript',
    ),
    '/docs/swagger-ui.css': staticFileOperation(
      'Gateway.DocsSwaggerUiStyle',
      "Swagger UI's style sheet (swagger-ui-dist)",
      'text/css',
    ),
  };
}
