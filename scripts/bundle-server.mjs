// Bundles the compiled server (packages/server/dist) into one file for `npm start`.
// Why: loading ~1,000 small ESM files of @sinclair/typebox, kysely and fastify was most of the
// time from process start to /readyz (docs/decisions/0004-bundled-server-start.md). Packages with
// native code, static assets or optional loading stay external and load from node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const server = path.join(root, 'packages/server');
const pkg = JSON.parse(fs.readFileSync(path.join(server, 'package.json'), 'utf8'));
const BUNDLED = new Set(['@sinclair/typebox', 'kysely', 'fastify', 'ajv', 'ajv-formats', 'fast-json-stringify', 'prom-client', 'semver', 'conventional-commits-parser', 'sax', 'croner']);
const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !BUNDLED.has(name) && !name.startsWith('@slipway/'));

await build({
  entryPoints: [path.join(server, 'dist/main.js')],
  outfile: path.join(server, 'dist/slipway-server.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: [...external, ...external.map((name) => `${name}/*`), 'pg-native'],
  // CommonJS dependencies inside the bundle call require(); give them one.
  banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'none',
});
