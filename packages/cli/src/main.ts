#!/usr/bin/env node
import { run } from './program.js';

const code = await run(process.argv.slice(2));
// `slipway server` keeps running after it started; every other command (and a failed start) ends here.
if (process.argv[2] !== 'server' || code !== 0) process.exit(code);
