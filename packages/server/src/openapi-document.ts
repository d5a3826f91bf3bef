import os from 'node:os';
import { buildApp } from './app.js';
import { compose } from './composition.js';
import { openDatabase } from './db/connect.js';

/**
 * The server's OpenAPI document, built without a database server or a listening port (an
 * in-memory SQLite database backs the services, which are never called). The web app generates
 * its API types from it (scripts/dump-openapi.mjs).
 */
export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  const database = await openDatabase({ dialect: 'sqlite', file: ':memory:' });
  try {
    const services = compose({ database, dataDir: os.tmpdir(), secretKey: Buffer.alloc(32) });
    const app = await buildApp(services);
    try {
      await app.ready();
      return app.swagger() as unknown as Record<string, unknown>;
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
  }
}
