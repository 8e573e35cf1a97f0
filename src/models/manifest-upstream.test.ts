import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest } from './manifest.js';

const base = { alias: 'gpu-llava', task: 'chat', runtime: 'upstream', licence: 'Apache-2.0' };

describe('upstream manifests', () => {
  it('take OpenAI-style snake_case keys and keep the key out of the file', () => {
    const manifest = parseManifest({ ...base, source: { type: 'upstream', base_url: 'http://gpu-box:11434/v1', model: 'llava:13b', api_key_env: 'GPU_BOX_KEY', timeout_ms: 5000 } }, 'test');
    expect(manifest.source).toEqual({ type: 'upstream', baseUrl: 'http://gpu-box:11434/v1', model: 'llava:13b', apiKeyEnv: 'GPU_BOX_KEY', timeoutMs: 5000 });
  });

  it('refuse a key written in the manifest', () => {
    expect(() => parseManifest({ ...base, source: { type: 'upstream', baseUrl: 'http://x/v1', model: 'm', api_key: 'sk-1' } }, 'test')).toThrow(/holds an API key/);
    expect(() => parseManifest({ ...base, source: { type: 'upstream', baseUrl: 'http://x/v1', model: 'm', apiKey: 'sk-1' } }, 'test')).toThrow(ManifestError);
  });

  it('pair the upstream runtime with an upstream source, both ways', () => {
    expect(() => parseManifest({ ...base, source: { type: 'file', path: 'x.onnx' } }, 'test')).toThrow(/must be an upstream source/);
    expect(() => parseManifest({ ...base, runtime: 'onnx', source: { type: 'upstream', baseUrl: 'http://x/v1', model: 'm' } }, 'test')).toThrow(/must be "upstream"/);
  });

  it('refuse a base URL that is not http(s) and an env name that is not one', () => {
    expect(() => parseManifest({ ...base, source: { type: 'upstream', baseUrl: 'ftp://x', model: 'm' } }, 'test')).toThrow(ManifestError);
    expect(() => parseManifest({ ...base, source: { type: 'upstream', baseUrl: 'http://x', model: 'm', apiKeyEnv: 'sk-live-123' } }, 'test')).toThrow(ManifestError);
  });
});
