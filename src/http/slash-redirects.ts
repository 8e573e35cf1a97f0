/**
 * FastAPI's `redirect_slashes` for a surface that replaces a FastAPI service: a request whose path
 * differs from one of the surface's routes only by a trailing slash is answered 307 with the other
 * form (`POST /upload` → `/upload/`, `GET /files/1/` → `/files/1`), query string kept, as
 * Starlette's router does for every method. Clients of the original follow it and keep the method
 * and body (307, not 301/302).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route only redirects to the other slash form (set by {@link slashRedirects}). */
    slashRedirect?: true;
  }
}

/**
 * Every method Starlette redirects. OPTIONS is left out: a CORS preflight is answered by the CORS
 * layer before any route (in FastAPI by its middleware), and a redirected preflight fails.
 */
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The path with its trailing slashes stripped, or with one added; the query string is kept. */
export function otherSlashForm(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  return `${path.endsWith('/') ? path.replace(/\/+$/, '') : `${path}/`}${query}`;
}

/**
 * Starlette's Location is absolute (scheme and Host of the request); without a Host header, the
 * path alone, which clients resolve against the URL they asked.
 */
function location(request: FastifyRequest): string {
  const target = otherSlashForm(request.url);
  return request.host ? `${request.protocol}://${request.host}${target}` : target;
}

// Answered before the body is read: a multipart upload is not parsed (nor refused by this
// route's limits) only to be sent again to the other form.
async function redirect(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return reply.redirect(location(request), 307);
}

/**
 * Collects the routes a plugin adds from now on; the function it returns, called once they are
 * all added, adds for each one the other slash form as a redirect (unless it is a route itself).
 * Call it inside the surface's plugin, so only that surface's paths redirect.
 */
export function slashRedirects(app: FastifyInstance): () => void {
  const urls = new Set<string>();
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.slashRedirect) urls.add(route.url);
  });
  return () => {
    for (const url of [...urls]) {
      const other = otherSlashForm(url);
      if (other === '' || urls.has(other)) continue;
      app.route({
        method: METHODS,
        url: other,
        schema: { hide: true },
        config: { slashRedirect: true },
        onRequest: redirect,
        handler: async () => undefined,
      });
    }
  };
}
