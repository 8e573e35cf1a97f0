import { timingSafeEqual } from 'node:crypto';
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
 */
export class KeyRing {
  private fileKeys: StoredKey[] = [];
  private fileMtime = -1;
  private checkedAt = 0;
  private readonly configured: StoredKey[];

  constructor(private readonly options: KeyRingOptions) {
    this.configured = options.configured.map(parseConfiguredKey);
    this.refresh(true);
  }

  /** True when any key is configured: requests then need one. */
  get enabled(): boolean {
    this.refresh();
    return this.configured.length > 0 || this.fileKeys.length > 0;
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

  /** Creates a key in the keys file; the secret is returned once and stored only as a hash. */
  create(scope: KeyScope, name: string): { key: StoredKey; secret: string } {
    const created = this.options.file.create(scope, name);
    this.refresh(true);
    return created;
  }

  /** Removes a key from the keys file; false when the file has none with that id (config keys are not). */
  revoke(id: string): boolean {
    const removed = this.options.file.revoke(id);
    this.refresh(true);
    return removed;
  }

  private refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < (this.options.recheckMs ?? 1_000)) return;
    this.checkedAt = now;
    const mtime = this.options.file.mtimeMs();
    if (mtime === this.fileMtime) return;
    // A keys file that cannot be read at start is fatal (thrown from the constructor); later, the
    // keys last read stay in force rather than opening the server.
    try {
      this.fileKeys = this.options.file.read();
      this.fileMtime = mtime;
    } catch (error) {
      if (force) throw error;
    }
  }
}
