/**
 * Who the request being served comes from, for the layers under HTTP: the owner (an inference
 * key's id) of what it creates. The auth plugin sets it around each route handler; the inference
 * service reads it when a request names no owner itself. Carried in AsyncLocalStorage so that no
 * route has to remember to pass it: a route added later is owned by default, never shared by
 * forgetting an argument.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const caller = new AsyncLocalStorage<{ owner?: string }>();

/** Runs `work` (and everything it starts) as a request of `owner`; undefined = unowned (admin key, auth off). */
export function runAsCaller<T>(owner: string | undefined, work: () => T): T {
  return caller.run({ owner }, work);
}

/** The owner of the request being served, when one is; undefined outside a request or when unowned. */
export function callerOwner(): string | undefined {
  return caller.getStore()?.owner;
}
