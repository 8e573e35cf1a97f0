/**
 * Request validators. Query strings, path parameters, headers and multipart fields arrive as text,
 * so they are coerced to the schema's types ("0.5" → 0.5). JSON bodies arrive typed, so they are
 * not: a JSON `"conf": true`, `null` or `[0.5]` is a 400 rather than a value the client never sent.
 */
import { AjvCompiler } from '@fastify/ajv-compiler';

/** What Fastify hands a validator compiler for one part of one route. */
interface RouteDefinition {
  schema: unknown;
  method?: string;
  url?: string;
  httpPart?: string;
  contentType?: string;
}
type Compile = (route: RouteDefinition) => unknown;
type Build = (externalSchemas: unknown, options: { customOptions?: Record<string, unknown> } & Record<string, unknown>) => Compile;

const build = AjvCompiler() as unknown as Build;

/** Fastify's `compilersFactory.buildValidator`: one ajv with coercion, and one without for JSON bodies. */
export const typedJsonValidators: Build = (externalSchemas, options) => {
  const coercing = build(externalSchemas, options);
  const strict = build(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
  return (route) => {
    // A body schema without a content type is a JSON route's (multipart routes declare theirs).
    const json = route.httpPart === 'body' && (route.contentType === undefined || /json/i.test(route.contentType));
    return (json ? strict : coercing)(route);
  };
};
