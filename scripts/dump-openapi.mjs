// Writes the server's OpenAPI document (JSON) to stdout, or to the file given as the argument,
// without a database server: `node scripts/dump-openapi.mjs > openapi.json`. Needs the built
// server (`npm run build`); the web app generates its API types from the result.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'packages/server/dist/openapi-document.js');
if (!fs.existsSync(entry)) {
  console.error(`${path.relative(root, entry)} is missing: run "npm run build" first.`);
  process.exit(1);
}
const { buildOpenApiDocument } = await import(pathToFileURL(entry).href);
const text = `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`;
const out = process.argv[2];
if (out) fs.writeFileSync(out, text);
else process.stdout.write(text);
