import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../auth/actor.js';
import { compose, type Services } from '../composition.js';
import { ManualClock } from '../shared/clock.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../testing/test-database.js';
import { isForeignKeyViolation, isUniqueViolation, migrate } from './connect.js';

describe.each(DIALECTS)('storage on %s', (dialect) => {
  let database: TestDatabase;
  let services: Services;
  const clock = new ManualClock('2026-03-01T09:00:00.000Z');

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    services = compose({ database, dataDir: '/nonexistent', clock });
  });
  afterAll(() => database.close());

  it('migrates nothing the second time and keeps every row', async () => {
    await services.environments.create(systemContext(), { key: 'kept' });
    expect(await migrate(database.db)).toEqual([]);
    expect(await services.uow.reads.environments.get('kept')).not.toBeNull();
  });

  it('enforces unique constraints', async () => {
    const now = clock.now().toISOString();
    const env = { id: 'e-unique-1', key: 'unique-env', name: 'x', rank: 1, protected: false, color: '#000000', settings: {}, createdAt: now, updatedAt: now };
    await services.uow.reads.environments.insert(env);
    const error = await services.uow.reads.environments.insert({ ...env, id: 'e-unique-2' }).catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('enforces foreign keys', async () => {
    const now = clock.now().toISOString();
    const error = await services.uow.reads.tokens
      .insert({ id: 't-orphan', userId: 'no-such-user', name: 'x', prefix: 'slw_x', role: 'viewer', expiresAt: null, revokedAt: null, lastUsedAt: null, createdAt: now, tokenHash: 'h-orphan' })
      .catch((e: unknown) => e);
    expect(isForeignKeyViolation(error)).toBe(true);
  });

  it('writes the change, its audit record and its outbox event together, or none of them', async () => {
    const auditBefore = (await services.uow.reads.audit.list({ limit: 1000 })).length;
    const outboxBefore = (await services.uow.reads.outbox.listAfter(null, 1000)).length;
    await expect(
      services.uow.transaction(async (tx) => {
        await tx.stores.environments.insert({ id: 'e-rolled-back', key: 'rolled-back', name: 'x', rank: 1, protected: false, color: '#000000', settings: {}, createdAt: tx.now, updatedAt: tx.now });
        await tx.record(systemContext(), { action: 'environment.created', resourceType: 'environment', resourceId: 'rolled-back', event: { type: 'environment.created', payload: {} } });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await services.uow.reads.environments.get('rolled-back')).toBeNull();
    expect((await services.uow.reads.audit.list({ limit: 1000 })).length).toBe(auditBefore);
    expect((await services.uow.reads.outbox.listAfter(null, 1000)).length).toBe(outboxBefore);
  });

  it('publishes outbox events to subscribers only after commit, in order', async () => {
    const seen: string[] = [];
    const off = services.outbox.subscribe((e) => seen.push(e.type));
    let seenDuringTransaction = -1;
    await services.uow.transaction(async (tx) => {
      await tx.record(systemContext(), { action: 'a', resourceType: 'r', resourceId: '1', event: { type: 'first', payload: {} } });
      await tx.record(systemContext(), { action: 'b', resourceType: 'r', resourceId: '1', event: { type: 'second', payload: {} } });
      seenDuringTransaction = seen.length;
    });
    off();
    expect(seenDuringTransaction).toBe(0);
    expect(seen).toEqual(['first', 'second']);
    const stored = await services.uow.reads.outbox.listAfter(null, 1000);
    expect(stored.slice(-2).map((e) => e.type)).toEqual(['first', 'second']);
    expect(stored.at(-1)?.payload).toMatchObject({ actor: 'slipway' });
  });

  it('lists audit records newest first with keyset pagination', async () => {
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await services.environments.create(systemContext(), { key: `paged-${i}` });
    }
    const first = await services.uow.reads.audit.list({ action: 'environment.created', limit: 2 });
    const next = await services.uow.reads.audit.list({ action: 'environment.created', limit: 2, before: first.at(-1)!.id });
    expect(first.map((r) => r.resourceId)).toEqual(['paged-4', 'paged-3']);
    expect(next.map((r) => r.resourceId)).toEqual(['paged-2', 'paged-1']);
  });
});
