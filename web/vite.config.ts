import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The Python server serves the build: index.html at `/` (and for any non-API path),
// the hashed files under `/assets/`. `npm run dev` proxies the API to a local server.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../src/tessera/static',
    emptyOutDir: true,
    // Monaco's core and the TypeScript worker are large by nature; they are split into
    // their own chunks and cached by hash, so the default 500 kB warning is only noise.
    chunkSizeWarningLimit: 8192,
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      // TESSERA_API_URL points the dev server at another API (default: `tessera serve`).
      '/api': { target: process.env.TESSERA_API_URL ?? 'http://127.0.0.1:8000', ws: true },
    },
  },
})
