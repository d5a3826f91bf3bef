// Adds lock entries for rollup's platform packages that this machine's registry does not serve.
// Why: npm records an optional platform package in package-lock.json only when it can resolve it;
// the registry here serves rollup's linux-x64 builds only, and `npm ci` then refuses the lock
// ("Missing: @rollup/rollup-… from lock file"). An entry with the package's os/cpu/libc lets
// `npm ci` accept the lock and skip the package on this platform, as it would with a full lock.
// Run it after any `npm install` that rewrites package-lock.json (docs/decisions/0005-lockfile-platform-packages.md).
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const added = [];
for (const meta of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (!name.startsWith('@rollup/rollup-') || lock.packages[key]) continue;
    const [os, cpu, abi] = name.slice('@rollup/rollup-'.length).split('-');
    const entry = { version, cpu: [cpu], license: 'MIT', optional: true, os: [os] };
    if (abi?.includes('musl')) entry.libc = ['musl'];
    else if (abi?.includes('gnu') && os === 'linux') entry.libc = ['glibc'];
    lock.packages[key] = entry;
    added.push(name);
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} platform entries: ${added.join(', ')}` : 'lock already complete');
