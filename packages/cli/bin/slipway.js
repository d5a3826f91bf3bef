#!/usr/bin/env node
// Committed launcher, so the bin exists (and is executable) before the TypeScript is built.
import '../dist/main.js';
