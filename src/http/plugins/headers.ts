import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Browser-facing headers. CORS is off unless origins are configured (`*` allows any), so a web
 * page elsewhere cannot call a local Argus with its visitor's network position. Helmet's security
 * headers go on every answer (nosniff, frame and referrer policies, …); its Content-Security-Policy
 * is left off because the dashboard's pages set their own (routes/web.ts) and JSON needs none.
 */
export const headersPlugin = fp(async (app: FastifyInstance, { corsOrigins }: { corsOrigins: string[] }) => {
  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: corsOrigins.includes('*') ? '*' : corsOrigins,
      allowedHeaders: ['authorization', 'x-api-key', 'content-type', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after', 'location', 'x-argus-error-code', 'x-total-count', 'x-argus-skipped'],
      maxAge: 600,
    });
  }
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
}, { name: 'argus-headers' });
