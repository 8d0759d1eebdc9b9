/// <reference types="vitest/config" />
// Vite builds the SPA into dist/, which the Go package web embeds into the binary.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

// The GoodGo server that `npm run dev` forwards API calls to.
const devApi = process.env['GOODGO_DEV_API'] ?? 'http://localhost:8080';

// dist/.placeholder is committed so go:embed compiles without a build; Vite
// empties dist/ first, so write it back (same bytes) to leave git clean.
const placeholderText =
  'Keeps go:embed working before the web app is built (npm run build writes the app here).\n';

function keepGoEmbedPlaceholder(): Plugin {
  return {
    name: 'goodgo-keep-go-embed-placeholder',
    apply: 'build',
    closeBundle() {
      writeFileSync(fileURLToPath(new URL('./dist/.placeholder', import.meta.url)), placeholderText);
    },
  };
}

export default defineConfig({
  plugins: [svelte(), keepGoEmbedPlaceholder()],
  // No public/ folder: every file is fingerprinted under /assets/, the only
  // static path the Go handler serves (with an immutable cache).
  publicDir: false,
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    // dist/.vite/manifest.json: the chunk graph scripts/bundle-sizes.mjs measures per screen.
    manifest: true,
  },
  server: {
    // The web app bundles one file of the Go tree: the VietQR bank list (src/lib/pos/payments.ts).
    fs: { allow: ['.', '../internal/payment/vietqr/banks.csv'] },
    proxy: Object.fromEntries(
      ['/api', '/health', '/docs', '/openapi.json', '/openapi.yaml', '/schemas', '/.well-known'].map(
        (prefix) => [prefix, { target: devApi, changeOrigin: false }],
      ),
    ),
  },
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['tests/**', 'node_modules/**'],
    environment: 'node',
  },
});
