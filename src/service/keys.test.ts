import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyFile } from '../store/keys.js';
import { KeyRing } from './keys.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A logger whose lines are collected, to check what a key change writes. */
function capture(): { log: pino.Logger; lines: Array<{ msg: string; key?: string; by?: string }> } {
  const lines: Array<{ msg: string; key?: string; by?: string }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** Pushes the file's mtime forward, so a re-read notices a change made within the same millisecond. */
const touch = (file: KeyFile, at: number) => utimesSync(file.path, at, at);

describe('KeyRing', () => {
  it('logs every key change, with the key that made it, and refuses the last admin key', () => {
    const file = new KeyFile(join(dir, 'a.json'));
    const first = file.create('admin', 'ops');
    const { log, lines } = capture();
    const ring = new KeyRing({ configured: [], file, log, recheckMs: 0 });
    const app = ring.create('inference', 'app', first.key.id);
    expect(lines.at(-1)).toMatchObject({ key: app.key.id, by: first.key.id, msg: expect.stringMatching(/created by key/) });
    expect(ring.revoke(app.key.id, first.key.id)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ key: app.key.id, by: first.key.id, msg: expect.stringMatching(/revoked by key/) });
    expect(() => ring.revoke(first.key.id, first.key.id)).toThrow(expect.objectContaining({ code: 'last_admin_key', status: 409 }));
    expect(lines.at(-1)?.msg).toMatch(/refused to revoke/);
    // A change made outside the server (argus keys, an edit) is logged when it is read.
    const outside = file.create('inference', 'cli');
    touch(file, Date.now() / 1000 + 5);
    expect(ring.authenticate(outside.secret)).toMatchObject({ id: outside.key.id });
    expect(lines.at(-1)).toMatchObject({ key: outside.key.id, msg: expect.stringMatching(/created in the keys file/) });
  });

  it('stays enabled once keys were on, even when every key goes: nothing authenticates, nothing opens', () => {
    const file = new KeyFile(join(dir, 'b.json'));
    const ring = new KeyRing({ configured: [], file, recheckMs: 0 });
    expect(ring.enabled).toBe(false);
    const { key, secret } = file.create('admin', 'ops');
    touch(file, Date.now() / 1000 + 5);
    expect(ring.enabled).toBe(true);
    file.revoke(key.id);
    touch(file, Date.now() / 1000 + 10);
    expect(ring.enabled).toBe(true);
    expect(ring.authenticate(secret)).toBeUndefined();
    rmSync(file.path);
    expect(ring.enabled).toBe(true);
  });
});
