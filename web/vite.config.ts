// The dashboard's build: `npm run build:web` (part of `npm run build`) writes web/dist, which
// Argus serves at / (src/http/routes/web.ts). `npm run dev:web` serves the sources with hot
// reload on :5173 and sends API calls to an Argus on its default port (start one with `npm run dev`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const ARGUS = 'http://127.0.0.1:8000';

export default defineConfig({
  // This folder, wherever the command runs from.
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Served offline by Argus: keep small assets inline rather than a request each.
    assetsInlineLimit: 4096,
    reportCompressedSize: true,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(['/v1', '/healthz', '/openapi.json', '/visualization', '/docs'].map((path) => [path, { target: ARGUS }])),
  },
});
