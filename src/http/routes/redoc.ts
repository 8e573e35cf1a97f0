/**
 * GET /redoc: the API document in ReDoc, as FastAPI serves it (the car recognizer's document names
 * it beside /docs). FastAPI's page loads ReDoc and Google Fonts from CDNs; this one loads the
 * vendored bundle (vendor/redoc/, see scripts/vendor-redoc.mjs) from Argus itself and no fonts, so
 * it works with no network.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../../errors.js';

/** The vendored ReDoc; the same path from src/ (tsx) and dist/. */
export const REDOC_DIR = fileURLToPath(new URL('../../../vendor/redoc/', import.meta.url));

/**
 * Everything the page may load comes from this origin. The bundle's one outside reference, the
 * Redocly logo in the sidebar (cdn.redoc.ly), is blocked here, so the browser never asks for it
 * (ReDoc then hides the image). ReDoc injects its styles (styled-components) and runs its search
 * index in a blob: worker.
 */
export const REDOC_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
  + "connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** FastAPI's `get_redoc_html`, without the CDN script, the web fonts and the favicon. */
export function redocPage(title: string, specUrl: string): string {
  return `<!DOCTYPE html>
<html>
<head>
<title>${title} - ReDoc</title>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<noscript>ReDoc requires Javascript to function. Please enable it to browse the documentation.</noscript>
<redoc spec-url="${specUrl}"></redoc>
<script src="/redoc/redoc.standalone.js"></script>
</body>
</html>
`;
}

export const redocRoutes: FastifyPluginAsync<{ title: string }> = async (app, { title }) => {
  const available = existsSync(`${REDOC_DIR}redoc.standalone.js`);
  if (available) {
    // The bundle and its licences; ETag and Last-Modified let a browser keep its copy.
    await app.register(fastifyStatic, { root: REDOC_DIR, prefix: '/redoc/', decorateReply: false, index: false, wildcard: false });
  }
  app.get('/redoc', { schema: { hide: true } }, async (_request, reply) => {
    if (!available) throw errors.redocMissing(REDOC_DIR);
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', REDOC_CSP)
      .header('cache-control', 'no-cache')
      .send(redocPage(title, '/openapi.json'));
  });
};
