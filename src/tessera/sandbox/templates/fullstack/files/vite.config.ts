import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The API (api/app.py) listens on the port Tessera gives it in TESSERA_API_PORT;
// the dev server forwards every request under /api to it.
const apiPort = process.env.TESSERA_API_PORT ?? '5000'

// Served to the browser through Tessera's preview proxy, under its own host name.
export default defineConfig({
  plugins: [react()],
  server: {
    allowedHosts: true,
    proxy: { '/api': `http://127.0.0.1:${apiPort}` },
    watch: { ignored: ['**/api/**'] },
  },
})
