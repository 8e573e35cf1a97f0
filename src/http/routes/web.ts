import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../../errors.js';
import type { RouteDeps } from './deps.js';

/** Where `vite build` writes the dashboard (web/vite.config.ts); the same path from src/ (tsx) and dist/. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * The dashboard's pages, i.e. its client-side routes (web/src/router.ts): each answers index.html
 * so a reload or a shared link works. This list is the SPA fallback; any other path keeps the
 * API's JSON 404, so a mistyped API call is never answered with HTML.
 */
export const DASHBOARD_PAGES = ['/', '/history', '/history/:id', '/people', '/system', '/reports'] as const;

// The dashboard talks only to this origin; the policy makes that a rule the browser enforces.
// blob: and data: are the images a user drops or pastes into the playground.
const CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

/**
 * The dashboard: static files built by Vite from web/ into web/dist, served by Argus (no CDN).
 * Hashed files under /assets/ are immutable (cached for a year); index.html is revalidated on
 * every load, so a new build is picked up at once.
 */
export const webRoutes: FastifyPluginAsync<RouteDeps & { dir?: string }> = async (app, { dir = WEB_DIST }) => {
  // Page loads and static files are the dashboard's own traffic, not API load: keep them out of the statistics.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, stats: false };
  });

  const assets = join(dir, 'assets');
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      // File names carry a content hash (Vite), so a cached copy can never be stale.
      immutable: true,
      maxAge: '365d',
      // Look files up per request: a rebuild while serving must not 404 the new names.
      wildcard: true,
    });
  }

  const index = join(dir, 'index.html');
  for (const url of DASHBOARD_PAGES) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => {
      // Read per request (a few KB): a rebuild changes the asset names it points to.
      const html = await readFile(index).catch(() => undefined);
      if (!html) throw errors.dashboardNotBuilt(dir);
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .send(html);
    });
  }
};
