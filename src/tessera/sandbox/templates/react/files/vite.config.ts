import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// Served to the browser through Tessera's preview proxy, under its own host name.
export default defineConfig({
  plugins: [react()],
  server: { allowedHosts: true },
})
