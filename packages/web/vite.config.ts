import { defineConfig } from 'vite';

// No @vitejs/plugin-react: esbuild compiles the JSX (tsconfig "jsx": "react-jsx"), and the app is
// served built by the Slipway server, so there is no dev-server fast refresh to support.
export default defineConfig({
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names: the server caches /assets/* for a year (immutable).
    assetsDir: 'assets',
    sourcemap: false,
    // ECharts is one lazy chunk loaded only by pages with charts.
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      onwarn(warning, warn) {
        // Mantine marks its modules "use client" for React Server Components; irrelevant in an SPA bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:4000', '/badge.js': 'http://127.0.0.1:4000' },
  },
});
