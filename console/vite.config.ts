// The console's build: `npm run build` (scripts/build.mjs) or `npm run build:console` write console/dist/, which
// `riffle server` serves at / (src/server/console-assets.ts). React's JSX goes through vite's own esbuild transform
// (the automatic runtime), so no React plugin is needed. `base: './'` keeps asset URLs relative to the page.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite console` in development: the API of a riffle server running on 8080.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
