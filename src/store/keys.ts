/**
 * The API keys file that `argus keys create` writes and the server reads: JSON with one entry per
 * key, holding the key's SHA-256 and never the key itself. A key is 32 random bytes, so a plain
 * hash is enough (a slow KDF such as scrypt guards guessable passwords, not random tokens); the
 * file can be read by whoever runs Argus without giving anyone a working key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/load.js';

export type KeyScope = 'inference' | 'admin';

export const KEY_SCOPES: readonly KeyScope[] = ['inference', 'admin'];

export interface StoredKey {
  /** Public id (`k_` + 12 hex digits of the hash): names the key in logs, metrics and job ownership. */
  id: string;
  name: string;
  scope: KeyScope;
  /** SHA-256 of the key, hex. */
  sha256: string;
  created_at: string;
}

/** Where the keys file is: `apiKeysFile`, else `<dataDir>/api-keys.json`. */
export function keysFilePath(config: Pick<Config, 'apiKeysFile' | 'dataDir'>): string {
  return config.apiKeysFile || join(config.dataDir, 'api-keys.json');
}

/** SHA-256 of a key, hex. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The public id of a key, derived from its hash so the same key has the same id wherever it is configured. */
export function keyId(sha256: string): string {
  return `k_${sha256.slice(0, 12)}`;
}

/** A new random key: `argus_` + 43 base64url characters (256 bits). */
export function newKeySecret(): string {
  return `argus_${randomBytes(32).toString('base64url')}`;
}

/** Reads and writes one keys file. Writes go to a temporary file first, so a reader never sees half a file. */
export class KeyFile {
  constructor(readonly path: string) {}

  /** The keys in the file; none when it does not exist. A file that exists but is not a keys file is an error. */
  read(): StoredKey[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(parsed.keys)) throw new Error(`${this.path} is not an Argus keys file (no "keys" list).`);
    return parsed.keys.filter(isStoredKey);
  }

  /** Modification time in ms (0 when absent): lets a server notice new and revoked keys without a restart. */
  mtimeMs(): number {
    try {
      return statSync(this.path).mtimeMs;
    } catch {
      return 0;
    }
  }

  /** Adds a new key and returns it with its secret, which is shown once and stored nowhere. */
  create(scope: KeyScope, name: string): { key: StoredKey; secret: string } {
    const secret = newKeySecret();
    const sha256 = hashKey(secret);
    const key: StoredKey = { id: keyId(sha256), name, scope, sha256, created_at: new Date().toISOString() };
    this.write([...this.read(), key]);
    return { key, secret };
  }

  /** Removes a key by id; false when there was none. */
  revoke(id: string): boolean {
    const keys = this.read();
    const kept = keys.filter((k) => k.id !== id);
    if (kept.length === keys.length) return false;
    this.write(kept);
    return true;
  }

  private write(keys: StoredKey[]): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.path);
  }
}

function isStoredKey(value: unknown): value is StoredKey {
  const k = value as StoredKey;
  return typeof k === 'object' && k !== null && typeof k.id === 'string' && typeof k.sha256 === 'string'
    && /^[0-9a-f]{64}$/.test(k.sha256) && KEY_SCOPES.includes(k.scope);
}
