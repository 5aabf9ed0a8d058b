import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * One HTML entry per app. The gateway serves each at its mount
 * (services/gateway/static.ts, WEB_PAGES): index.html at /, console.html (the
 * operator console) at /console, to operators only.
 */
export const entries: Record<string, string> = {
  app: here('index.html'),
  console: here('console.html'),
};

/** Where `npm run dev -w web` sends API calls: a gateway started by `npm start`. */
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: here('.'),
  plugins: [react()],
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: { input: entries },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/v1': gateway,
      '/admin': gateway,
      '/openapi.json': gateway,
      '/ws': { target: gateway.replace(/^http/, 'ws'), ws: true },
    },
  },
});
