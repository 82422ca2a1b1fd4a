// Builds web/ into web/dist: index.html and assets/NAME-HASH.{js,css}.
// `revos serve` serves that folder (src/api/static.c); nothing is fetched
// from another host at run time.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    sourcemap: false,
    reportCompressedSize: true,
  },
});
