/**
 * Where Argus finds Redis (`--queue`, `ARGUS_QUEUE_URL`): one server, or a master watched by Redis
 * Sentinel. ioredis speaks both; this turns the one string an operator gives into its options.
 *
 * - `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS): one server.
 * - `redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/masterName[/db][?options]`:
 *   the sentinels to ask (port 26379 when omitted) and the name of the master they watch; the
 *   user and password are the master's (and its replicas'). Options: `sentinelPassword`,
 *   `sentinelUsername` (when the sentinels require their own), `tls=true` (TLS to the master and
 *   its replicas), `sentinelTls=true` (TLS to the sentinels).
 */
import type { RedisOptions } from 'ioredis';

const SENTINEL_SCHEME = 'redis+sentinel:';
const SENTINEL_PORT = 26379;

/** A queue URL's target: a URL for ioredis (one server), or the options of a Sentinel deployment. */
export interface RedisTarget {
  url?: string;
  options: RedisOptions;
  /** The URL without credentials, for logs and `/healthz`. */
  display: string;
  sentinel: boolean;
}

/** Thrown for a queue URL that cannot be understood; the message says what is wrong. */
export class QueueUrlError extends Error {}

function decode(part: string | undefined): string | undefined {
  return part === undefined || part === '' ? undefined : decodeURIComponent(part);
}

function hostPort(text: string): { host: string; port: number } {
  // [v6]:port, [v6], host:port, host
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(text);
  const match = bracket ?? plain;
  if (!match || !match[1]) throw new QueueUrlError(`'${text}' is not host[:port]`);
  const port = match[2] ? Number(match[2]) : SENTINEL_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new QueueUrlError(`'${text}' has no valid port`);
  return { host: match[1], port };
}

function parseSentinel(url: string): RedisTarget {
  // Not WHATWG-parsable (several hosts), so split by hand: scheme://[auth@]hosts/name[/db][?query]
  const rest = url.slice(`${SENTINEL_SCHEME}//`.length);
  const [beforeQuery, query = ''] = rest.split(/\?(.*)/s, 2);
  const slash = beforeQuery.indexOf('/');
  if (slash < 0) throw new QueueUrlError('a Sentinel URL names the master after the hosts: redis+sentinel://host:26379,host2:26379/mymaster');
  const authority = beforeQuery.slice(0, slash);
  const path = beforeQuery.slice(slash + 1).split('/').filter(Boolean);
  const at = authority.lastIndexOf('@');
  const auth = at >= 0 ? authority.slice(0, at) : '';
  const hosts = (at >= 0 ? authority.slice(at + 1) : authority).split(',').filter(Boolean);
  if (!hosts.length) throw new QueueUrlError('a Sentinel URL needs at least one sentinel host');
  const [name, dbText] = path;
  if (!name) throw new QueueUrlError('a Sentinel URL needs the master name after the hosts (…/mymaster)');
  if (path.length > 2) throw new QueueUrlError(`unexpected path '/${path.join('/')}': use /masterName[/db]`);
  const db = dbText === undefined ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new QueueUrlError(`'${dbText}' is not a database number`);
  const colon = auth.indexOf(':');
  const username = decode(colon >= 0 ? auth.slice(0, colon) : auth);
  const password = decode(colon >= 0 ? auth.slice(colon + 1) : undefined);
  const params = new URLSearchParams(query);
  const known = new Set(['sentinelPassword', 'sentinelUsername', 'tls', 'sentinelTls']);
  for (const key of params.keys()) if (!known.has(key)) throw new QueueUrlError(`unknown option '${key}' (known: ${[...known].join(', ')})`);
  const flag = (key: string) => params.get(key) === 'true' || params.get(key) === '1';
  const options: RedisOptions = {
    sentinels: hosts.map(hostPort),
    name: decodeURIComponent(name),
    db,
    username: password === undefined ? undefined : username,
    // redis://:secret@… and redis://secret@… both mean a password alone, as for a plain URL.
    password: password ?? username,
    sentinelPassword: params.get('sentinelPassword') ?? undefined,
    sentinelUsername: params.get('sentinelUsername') ?? undefined,
    tls: flag('tls') ? {} : undefined,
    sentinelTLS: flag('sentinelTls') ? {} : undefined,
    enableTLSForSentinelMode: flag('tls'),
    // Not ioredis's failoverDetector: with it, a connection caught reconnecting at the moment of a
    // failover never ends when closed (ioredis 5.11, seen under test), so a node could not stop.
    // Without it, a dead master's sockets fail at once and ioredis asks the sentinels again; a
    // demoted master still answering turns writes away with READONLY, which reconnects too.
  };
  const display = `${SENTINEL_SCHEME}//${hosts.join(',')}/${name}${dbText === undefined ? '' : `/${db}`}`;
  return { options, display, sentinel: true };
}

/** Parses `--queue`; throws {@link QueueUrlError} with what is wrong. */
export function parseQueueUrl(url: string): RedisTarget {
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) return parseSentinel(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueUrlError(`'${url.replace(/\/\/[^@/]*@/, '//***@')}' is not a URL`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new QueueUrlError(`scheme ${parsed.protocol} is not redis:, rediss: or redis+sentinel:`);
  const display = `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  return { url, options: {}, display, sentinel: false };
}

/** The same URL for logs: credentials removed, whatever the scheme. */
export function displayQueueUrl(url: string): string {
  try {
    return parseQueueUrl(url).display;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
