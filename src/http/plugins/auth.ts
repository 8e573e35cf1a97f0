import type { FastifyInstance, FastifyRequest, preValidationAsyncHookHandler, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { errors } from '../../errors.js';
import { runAsCaller } from '../../service/caller.js';
import type { KeyRing, Principal } from '../../service/keys.js';
import { isLoopback } from '../loopback.js';
import { DASHBOARD_PAGES } from '../routes/web.js';

/** Who may call a route: anyone (`public`), any API key (`inference`), or an admin key. */
export type RouteScope = 'public' | 'inference' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route when API keys are configured. @defaultValue inference (or the table in auth.ts) */
    scope?: RouteScope;
    /**
     * A body field that may carry the API key, for clients that send it in the form rather than a
     * header (DeepStack's `api_key`). Read once the body is parsed, and only when no header key came.
     */
    keyField?: string;
  }
  interface FastifyRequest {
    /** The API key this request presented (undefined when auth is off or the route is public). */
    principal?: Principal;
    /** Scope still to check once the body has been parsed (the key is in a body field). */
    deferredScope?: RouteScope;
  }
}

/**
 * Scopes of routes that do not declare one in their `config.scope`, by method and URL prefix
 * (`*` any method). Everything not listed needs an `inference` key. Public: health checks, the API
 * description and the dashboard's static files (the JSON they read needs a key like any client).
 */
const SCOPE_TABLE: ReadonlyArray<readonly [method: string, prefix: string, exact: boolean, scope: RouteScope]> = [
  ['GET', '/healthz', true, 'public'],
  ['GET', '/health', true, 'public'],
  ['GET', '/openapi.json', true, 'public'],
  ['*', '/docs', false, 'public'],
  ['GET', '/redoc', false, 'public'], // the page and its vendored bundle
  ['GET', '/assets/', false, 'public'],
  ...DASHBOARD_PAGES.map((page) => ['GET', page, true, 'public'] as const),
  ['GET', '/metrics', true, 'admin'],
  ['POST', '/v1/models/', false, 'admin'], // load (and pull, where a route offers it)
  ['POST', '/v1/system/evict/', false, 'admin'],
  ['PUT', '/v1/cameras/', false, 'admin'],
  ['DELETE', '/v1/cameras/', false, 'admin'],
  ['*', '/v1/keys', false, 'admin'],
  ['*', '/admin/', false, 'admin'],
];

/** The scope a route gets from {@link SCOPE_TABLE} when it declares none. */
export function tableScope(method: string, url: string): RouteScope {
  const m = method === 'HEAD' ? 'GET' : method;
  for (const [method, prefix, exact, scope] of SCOPE_TABLE) {
    if (method !== '*' && method !== m) continue;
    if (exact ? url === prefix : url.startsWith(prefix)) return scope;
  }
  return 'inference';
}

/** The key a request presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return match?.[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

/**
 * The owner of a request, for what it creates (async jobs, stored files) and what it may read: an
 * `inference` key's id. Undefined — unowned, reading everything — for an admin key and with auth
 * off; unowned records are visible to admins only once keys are on. Another owner's record is
 * answered 404, as if it did not exist.
 */
export function ownerOf(request: FastifyRequest): string | undefined {
  return request.principal && request.principal.scope !== 'admin' ? request.principal.id : undefined;
}

/**
 * Whether a caller may see what a public route shows only to trusted callers (paths, pids and
 * counters in GET /healthz): any valid key, or, while no keys are set, this machine's own users.
 */
export function isTrustedCaller(request: FastifyRequest, keys: KeyRing): boolean {
  return request.principal !== undefined || (!keys.enabled && isLoopback(request.ip));
}

/**
 * API keys: with none configured every route is open (and the server binds to loopback only, see
 * `argus.ts`); with keys, each route needs a key of its scope. A bad or missing key is 401, a key
 * of the wrong scope 403. Must be registered before the routes (it sets their scope in onRoute).
 */
export const authPlugin = fp(async (app: FastifyInstance, { keys }: { keys: KeyRing }) => {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.config?.scope) return;
    const method = Array.isArray(route.method) ? route.method[0] : route.method;
    route.config = { ...route.config, scope: tableScope(method, route.url) };
  });
  /** Checks a presented key against the scope a route needs; sets the request's principal. */
  const admit = (request: FastifyRequest, presented: string | undefined, scope: RouteScope, where: string): void => {
    if (!presented) throw errors.unauthorized(`This route needs an API key${where}.`);
    const principal = keys.authenticate(presented);
    if (!principal) throw errors.unauthorized('The API key is not valid.');
    if (scope === 'admin' && principal.scope !== 'admin') throw errors.forbidden(principal.scope, scope);
    request.principal = principal;
  };
  app.addHook('onRequest', async (request) => {
    if (!keys.enabled) return;
    // An unknown route has no config: it needs a key like any API route, so it reveals nothing.
    const scope = request.routeOptions.config?.scope ?? 'inference';
    if (scope === 'public') {
      // A public route answers everyone; a valid key there only adds details (GET /healthz).
      const presented = presentedKey(request);
      if (presented) request.principal = keys.authenticate(presented);
      return;
    }
    const presented = presentedKey(request);
    const keyField = request.routeOptions.config?.keyField;
    if (!presented && keyField) {
      // The key may be in the form: the body is parsed (within the upload limits) before it is checked.
      request.deferredScope = scope;
      return;
    }
    admit(request, presented, scope, '');
  });
  // A key in the form is read once the multipart plugin has parsed the body, which it does in an
  // app-level preValidation hook: so this check is a route-level one, which runs after those.
  const checkDeferred: preValidationAsyncHookHandler = async (request) => {
    if (request.deferredScope === undefined) return;
    const field = request.routeOptions.config!.keyField!;
    const value = (request.body as Record<string, unknown> | undefined)?.[field];
    admit(request, typeof value === 'string' && value !== '' ? value : undefined, request.deferredScope, ` (a header, or the form field ${field})`);
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    route.preValidation = [checkDeferred, ...(route.preValidation ? [route.preValidation].flat() : [])];
  });
  // The handler (and everything it starts) runs as its caller, so the service records the owner of
  // every result without each route passing it. preHandler is the last step before the handler,
  // after the body is parsed: a context set earlier would be lost in the body parser's callbacks.
  app.addHook('preHandler', (request, _reply, done) => runAsCaller(ownerOf(request), done));
}, { name: 'argus-auth' });
