// The server of `npm run bench -- patch-concurrency`: Slipway's built modules started as `main`
// does, with row locks switched off when NO_ROW_LOCKS=1 — the lost-update behaviour before
// issue 11, for the benchmark's comparison only (no server setting turns the locks off).
import { loadConfig } from '../packages/server/dist/config.js';
import { disableRowLocksForBenchmark } from '../packages/server/dist/db/row-lock.js';
import { startServer } from '../packages/server/dist/server.js';

if (process.env.NO_ROW_LOCKS === '1') disableRowLocksForBenchmark();
const server = await startServer(loadConfig());
console.log(`listening on ${server.url}`);
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
