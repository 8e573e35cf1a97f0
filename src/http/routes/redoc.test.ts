import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDOC_CSP, REDOC_DIR, redocPage } from './redoc.js';

describe('/redoc', () => {
  it('serves the vendored bundle that SOURCE.json records (scripts/vendor-redoc.mjs), with its licences', () => {
    const source = JSON.parse(readFileSync(join(REDOC_DIR, 'SOURCE.json'), 'utf8')) as { version: string; bundleSha256: string; bundleBytes: number; files: string[] };
    const bundle = readFileSync(join(REDOC_DIR, 'redoc.standalone.js'));
    expect(source.version).toMatch(/^2\./);
    expect(bundle.length).toBe(source.bundleBytes);
    expect(createHash('sha256').update(bundle).digest('hex')).toBe(source.bundleSha256);
    expect(readFileSync(join(REDOC_DIR, 'LICENSE'), 'utf8')).toMatch(/MIT License/);
    expect(readFileSync(join(REDOC_DIR, 'redoc.standalone.js.LICENSE.txt'), 'utf8')).toContain('ReDoc');
  });

  it('is a page that loads nothing from elsewhere: no CDN script, no web fonts, no favicon', () => {
    const html = redocPage('Argus', '/openapi.json');
    expect(html).toContain('<redoc spec-url="/openapi.json"></redoc>');
    expect(html).toContain('<script src="/redoc/redoc.standalone.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link/);
    // Nothing but this origin (and data:/blob: where ReDoc needs them) in the policy.
    expect(REDOC_CSP.replace(/'(self|none|unsafe-inline)'|data:|blob:/g, '')).not.toMatch(/[:.]/);
  });
});
