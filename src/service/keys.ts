import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { errors } from '../errors.js';
import { hashKey, KEY_SCOPES, keyId, type KeyFile, type KeyScope, type StoredKey } from '../store/keys.js';

/** Who a request comes from: the API key it presented. */
export interface Principal {
  /** The key's public id (`k_…`), recorded as the owner of what the key creates. */
  id: string;
  name: string;
  scope: KeyScope;
}

export interface KeyRingOptions {
  /** Keys from config (`ARGUS_API_KEYS`): `[inference:|admin:]<secret>`. */
  configured: string[];
  /** The keys file of `argus keys`; re-read when it changes. */
  file: KeyFile;
  /** How often at most the file's modification time is checked. @defaultValue 1000 */
  recheckMs?: number;
  /** Where every key change is logged (created, revoked, by whom or by the keys file). */
  log?: Logger;
}

/**
 * Why revoking key `id` is refused, or undefined when it may go: the last admin key (among the
 * file's and config's keys) stays, or no key could manage keys any more. Shared by the HTTP route
 * and `argus keys revoke`.
 */
export function lastAdminRefusal(keys: readonly Pick<StoredKey, 'id' | 'scope'>[], id: string): ReturnType<typeof errors.lastAdminKey> | undefined {
  const key = keys.find((k) => k.id === id);
  if (key?.scope !== 'admin') return undefined;
  return keys.some((k) => k.scope === 'admin' && k.id !== id) ? undefined : errors.lastAdminKey(id);
}

/** Parses one configured key: `admin:<secret>`, `inference:<secret>` or a bare secret (inference). */
export function parseConfiguredKey(entry: string): StoredKey {
  const colon = entry.indexOf(':');
  const prefix = colon > 0 ? entry.slice(0, colon) : '';
  const scoped = (KEY_SCOPES as readonly string[]).includes(prefix);
  const secret = scoped ? entry.slice(colon + 1) : entry;
  const sha256 = hashKey(secret);
  return { id: keyId(sha256), name: 'config', scope: scoped ? (prefix as KeyScope) : 'inference', sha256, created_at: '' };
}

/**
 * The keys this server accepts: those in config plus those in the keys file, which is re-read when
 * it changes (so `argus keys create` and `revoke` take effect on a running server). Presented keys
 * are hashed and compared with every known hash in constant time.
 *
 * Closed by default, for the life of the process: once any key has been seen, auth stays on even
 * if every key later goes (the file emptied or deleted, `argus keys revoke --force`); requests then
 * get 401 until keys are created again or the server restarts, and a restart without keys is held
 * to the start-up rule (loopback only, unless --insecure).
 */
export class KeyRing {
  private fileKeys: StoredKey[] = [];
  private fileMtime = -1;
  private checkedAt = 0;
  private readonly configured: StoredKey[];
  private everEnabled = false;

  constructor(private readonly options: KeyRingOptions) {
    this.configured = options.configured.map(parseConfiguredKey);
    this.refresh(true);
  }

  /** True once any key has been configured: requests then need one, for as long as the process runs. */
  get enabled(): boolean {
    this.refresh();
    return this.everEnabled;
  }

  /** The principal of a presented key, or undefined when it is not a known key. */
  authenticate(secret: string): Principal | undefined {
    this.refresh();
    const presented = Buffer.from(hashKey(secret), 'hex');
    let found: StoredKey | undefined;
    // Every hash is compared (no early exit), each in constant time.
    for (const key of [...this.configured, ...this.fileKeys]) {
      if (timingSafeEqual(presented, Buffer.from(key.sha256, 'hex')) && !found) found = key;
    }
    return found && { id: found.id, name: found.name, scope: found.scope };
  }

  /** Every accepted key, never the secrets: file keys, then config keys (named `config`, not revocable here). */
  list(): Array<Omit<StoredKey, 'sha256'> & { source: 'file' | 'config' }> {
    this.refresh(true);
    const view = (k: StoredKey, source: 'file' | 'config') => ({ id: k.id, name: k.name, scope: k.scope, created_at: k.created_at, source });
    return [...this.fileKeys.map((k) => view(k, 'file')), ...this.configured.map((k) => view(k, 'config'))];
  }

  /** Creates a key in the keys file; the secret is returned once and stored only as a hash. `by`: the key that asked, for the log. */
  create(scope: KeyScope, name: string, by?: string): { key: StoredKey; secret: string } {
    const created = this.options.file.create(scope, name);
    this.refresh(true, by);
    return created;
  }

  /**
   * Removes a key from the keys file; false when the file has none with that id (config keys are
   * not). The last admin key is refused (409 `last_admin_key`).
   */
  revoke(id: string, by?: string): boolean {
    this.refresh(true);
    const refusal = lastAdminRefusal([...this.fileKeys, ...this.configured], id);
    if (refusal) {
      this.options.log?.warn({ key: id, by }, `refused to revoke API key ${id}: it is the last admin key`);
      throw refusal;
    }
    const removed = this.options.file.revoke(id);
    this.refresh(true, by);
    return removed;
  }

  private refresh(force = false, by?: string): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < (this.options.recheckMs ?? 1_000)) return;
    this.checkedAt = now;
    const mtime = this.options.file.mtimeMs();
    if (mtime === this.fileMtime) return;
    // A keys file that cannot be read at start is fatal (thrown from the constructor); later, the
    // keys last read stay in force rather than opening the server.
    try {
      const before = this.fileMtime === -1 ? undefined : this.fileKeys;
      this.fileKeys = this.options.file.read();
      this.fileMtime = mtime;
      if (before) this.logChanges(before, by);
    } catch (error) {
      if (force) throw error;
    }
    const any = this.configured.length > 0 || this.fileKeys.length > 0;
    if (this.everEnabled && !any) {
      this.options.log?.warn('no API keys remain: every route but the health checks answers 401 until a key is created (argus keys create) or the server restarts');
    }
    this.everEnabled ||= any;
  }

  /** Logs every key that appeared in or left the keys file: through this server (`by` a key id) or from outside it (argus keys, an edit). */
  private logChanges(before: StoredKey[], by: string | undefined): void {
    const log = this.options.log;
    if (!log) return;
    const origin = by ? `by key ${by}` : 'in the keys file (argus keys, or an edit)';
    const ids = (keys: StoredKey[]) => new Set(keys.map((k) => k.id));
    const [was, now] = [ids(before), ids(this.fileKeys)];
    for (const k of this.fileKeys) if (!was.has(k.id)) log.info({ key: k.id, scope: k.scope, name: k.name, by }, `API key ${k.id} (${k.scope}) created ${origin}`);
    for (const k of before) if (!now.has(k.id)) log.info({ key: k.id, scope: k.scope, name: k.name, by }, `API key ${k.id} (${k.scope}) revoked ${origin}`);
  }
}
