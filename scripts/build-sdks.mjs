// After tsc -b: finishes the publishable SDK packages.
// - flag-engine and sdk-node ship ES modules (dist/) and CommonJS (dist/cjs/, compiled by their
//   tsconfig.cjs.json); dist/cjs/package.json marks that folder CommonJS for Node.
// - The browser SDK (packages/sdk-web/dist) is bundled the way an application's bundler would,
//   minified, with its peer dependencies (@openfeature/web-sdk, React) left out, and measured: the
//   core provider must stay ≤ 8 KB gzip (issue 15). The build fails when it grows past.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const name of ['flag-engine', 'sdk-node']) {
  fs.writeFileSync(path.join(root, 'packages', name, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
}
const pkg = path.join(root, 'packages/sdk-web');
const LIMIT = 8 * 1024;
const sizes = [];
for (const [entry, name] of [
  ['index.js', 'slipway-web.min.js'],
  ['react.js', 'slipway-web-react.min.js'],
]) {
  const outfile = path.join(pkg, 'dist/bundle', name);
  await build({
    entryPoints: [path.join(pkg, 'dist', entry)],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    external: ['@openfeature/web-sdk', 'react', 'react-dom'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  const code = fs.readFileSync(outfile);
  sizes.push({ name, raw: code.length, gzip: zlib.gzipSync(code, { level: 9 }).length });
}
fs.writeFileSync(path.join(pkg, 'dist/bundle/sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
const core = sizes[0];
const line = sizes.map((s) => `${s.name} ${(s.raw / 1024).toFixed(1)} KB, ${(s.gzip / 1024).toFixed(2)} KB gzip`).join('; ');
if (core.gzip > LIMIT) {
  console.error(`sdk-web: ${line} — the core provider is over ${LIMIT / 1024} KB gzip`);
  process.exit(1);
}
console.log(`sdk-web: ${line} (limit for the core: 8 KB gzip)`);
