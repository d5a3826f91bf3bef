import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ticketLink } from './project-service.js';

export const TicketLinksSchema = Type.Array(Type.Object({ key: Type.String(), url: Type.String() }), {
  description: "each ticket with its link from the project's ticketUrl template (empty when the project has none)",
});

type WithTickets = { tickets?: unknown; ticketLinks?: unknown };

/**
 * A preSerialization hook for release responses: adds `ticketLinks` beside every `tickets` list
 * (a release, each release of a page, a comparison), from the project of the URL.
 */
export function ticketLinksHook(ticketUrlOf: (project: string) => Promise<string | null>) {
  return async (request: FastifyRequest, _reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const project = (request.params as { project?: unknown } | undefined)?.project;
    if (typeof project !== 'string' || payload === null || typeof payload !== 'object') return payload;
    const targets: WithTickets[] = [];
    const body = payload as WithTickets & { items?: unknown };
    if (Array.isArray(body.tickets)) targets.push(body);
    if (Array.isArray(body.items)) for (const item of body.items as WithTickets[]) if (item && Array.isArray(item.tickets)) targets.push(item);
    if (targets.length === 0) return payload;
    const template = await ticketUrlOf(project).catch(() => null);
    for (const target of targets) {
      target.ticketLinks = (target.tickets as unknown[])
        .filter((t): t is string => typeof t === 'string')
        .flatMap((key) => {
          const url = ticketLink(template, key);
          return url === null ? [] : [{ key, url }];
        });
    }
    return payload;
  };
}
