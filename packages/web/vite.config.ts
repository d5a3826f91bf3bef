import { defineConfig } from 'vite';

// No @vitejs/plugin-react: esbuild compiles the JSX (tsconfig "jsx": "react-jsx"), and the app is
// served built by the Slipway server, so there is no dev-server fast refresh to support.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names: the server caches /assets/* for a year (immutable).
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:4000', '/badge.js': 'http://127.0.0.1:4000' },
  },
});
