import type { RequestContext } from '../auth/actor.js';
import { authorize } from '../auth/permissions.js';
import type { Uow } from '../db/stores.js';
import { decodeCursor, isString, toPage, type Page, type PageRequest } from '../shared/page.js';
import type { AuditFilter, AuditRecord } from './audit-store.js';

export type AuditQuery = Omit<AuditFilter, 'before' | 'limit'>;

/** Reads the audit log. Writing happens only inside other services' transactions (UnitOfWork). */
export class AuditService {
  constructor(private readonly uow: Uow) {}

  async list(ctx: RequestContext, query: AuditQuery, page: PageRequest): Promise<Page<AuditRecord>> {
    authorize(ctx.actor, { role: 'viewer', action: 'Reading the audit log' });
    const before = decodeCursor(page.cursor, isString);
    const rows = await this.uow.reads.audit.list({ ...query, ...(before !== null && { before }), limit: page.limit + 1 });
    return toPage(rows, page.limit, (r) => r.id);
  }
}
