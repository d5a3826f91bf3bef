import type { RequestContext } from '../auth/actor.js';
import { atLeast } from '../auth/roles.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Uow } from '../db/stores.js';
import type { ApprovalGroup } from '../environments/deployment-settings.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { ApprovalNotNeededError } from './deployment-errors.js';
import type { DeploymentSignals } from './deployment-signals.js';
import type { Approval, Deployment } from './deployment-store.js';
import type { DeploymentTransitions } from './deployment-transitions.js';

/** How far one group is: who approved for it and how many are still missing. */
export interface GroupProgress extends ApprovalGroup {
  approvedBy: string[];
  missing: number;
}

const memberOf = (g: ApprovalGroup, who: { username: string; role: string }) => g.users.includes(who.username) || (g.roles as string[]).includes(who.role);

/** An approval counts toward every group its approver belongs to (seed 002: "engineer and security"). */
export function groupProgress(groups: ApprovalGroup[], approvals: Approval[]): GroupProgress[] {
  return groups.map((g) => {
    const approvedBy = approvals.filter((a) => memberOf(g, a)).map((a) => a.username);
    return { ...g, approvedBy, missing: Math.max(0, g.required - approvedBy.length) };
  });
}

export function describeGroup(g: ApprovalGroup): string {
  const who = [...(g.roles.length > 0 ? [`role ${g.roles.join(' or ')}`] : []), ...(g.users.length > 0 ? [`user ${g.users.join(' or ')}`] : [])].join(' or ');
  return `${g.name} (${g.required} by ${who})`;
}

/**
 * The refusal of an approval for a deployment that no longer waits: when its approvals were
 * complete (it moved on because of them) the approval is not needed; otherwise it ended.
 */
function notWaiting(d: Deployment): ConflictError | ApprovalNotNeededError {
  const approved = d.approvalGroups.length > 0 && d.rejection === null && groupProgress(d.approvalGroups, d.approvals).every((g) => g.missing === 0);
  if (approved) {
    return new ApprovalNotNeededError(`Deployment ${d.id} already has every approval it needs (${d.approvals.map((a) => a.username).join(', ')}) and is ${d.status}: your approval is not needed.`, {
      deployment: d.id,
      status: d.status,
      approvedBy: d.approvals.map((a) => a.username),
    });
  }
  return new ConflictError(`Deployment ${d.id} is ${d.status}: only a deployment waiting for approval can be approved.`, { deployment: d.id, status: d.status });
}

/** Approvals and rejections of deployment requests. */
export class DeploymentApprovals {
  constructor(
    private readonly uow: Uow,
    private readonly transitions: DeploymentTransitions,
    private readonly signals: DeploymentSignals,
  ) {}

  /**
   * An approval by someone in a group that still misses approvals, who is not the requester. It is
   * counted inside the transaction holding the deployment's row lock, so of parallel approvals
   * exactly the ones needed are taken and the last of them starts the deployment; a later one is
   * refused as not needed (issue 11 §2).
   */
  async approve(ctx: RequestContext, id: string, input: { comment?: string } = {}): Promise<Deployment> {
    const d = await this.get(id);
    const who = { username: ctx.actor.username, role: ctx.actor.role };
    const userKey = ctx.actor.userId ?? ctx.actor.username;
    if (d.status !== 'pending_approval') throw notWaiting(d);
    if (userKey === (d.requestedById ?? d.requestedBy)) {
      throw new ForbiddenError('You requested this deployment: someone else must approve it (the requester never counts).', { deployment: id, requestedBy: d.requestedBy });
    }
    const mine = d.approvalGroups.filter((g) => memberOf(g, who));
    if (mine.length === 0) {
      throw new ForbiddenError(`Approving deployment ${id} to ${d.environment} needs a member of ${d.approvalGroups.map(describeGroup).join(', ')}; you are ${ctx.actor.username} (${ctx.actor.role}).`, {
        groups: d.approvalGroups.map((g) => g.name),
        actual: ctx.actor.role,
      });
    }
    const after = await this.uow.transaction(async (tx) => {
      await tx.stores.deployments.lock(id);
      const now = (await tx.stores.deployments.get(id))!;
      if (now.status !== 'pending_approval') throw notWaiting(now);
      if (now.approvals.some((a) => a.userKey === userKey)) throw new ConflictError(`You already approved deployment ${id}.`, { deployment: id });
      const before = groupProgress(now.approvalGroups, now.approvals);
      const helps = before.filter((g) => g.missing > 0 && memberOf(g, who));
      if (helps.length === 0) {
        const missing = before.filter((g) => g.missing > 0).map((g) => g.name);
        throw new ApprovalNotNeededError(
          `Your groups (${mine.map((g) => g.name).join(', ')}) already have the approvals they need${missing.length > 0 ? `; still missing: ${missing.join(', ')}` : ''}: your approval is not needed.`,
          { deployment: id, yourGroups: mine.map((g) => g.name), missing },
        );
      }
      const approval: Approval = { userKey, username: ctx.actor.username, role: ctx.actor.role, createdAt: tx.now };
      try {
        await tx.stores.deployments.addApproval(id, approval);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`You already approved deployment ${id}.`, { deployment: id });
        throw error;
      }
      const progress = groupProgress(now.approvalGroups, [...now.approvals, approval]);
      const missing = progress.filter((g) => g.missing > 0);
      const complete = missing.length === 0;
      if (complete) await tx.stores.deployments.update(id, ['pending_approval'], { status: 'pending', nextCheckAt: tx.now, updatedAt: tx.now });
      const current = (await tx.stores.deployments.get(id))!;
      await this.transitions.log(tx, id, [
        {
          line: `approved by ${ctx.actor.username} for ${helps.map((g) => g.name).join(', ')}${input.comment ? `: ${input.comment}` : ''}; ${complete ? 'every group is satisfied' : `still missing: ${missing.map((g) => `${g.name} (${g.missing})`).join(', ')}`}`,
        },
      ]);
      if (complete) await this.transitions.progressed(tx, current);
      await this.transitions.event(tx, ctx, current, 'deployment.approved', { approver: ctx.actor.username, approvedFor: helps.map((g) => g.name), comment: input.comment ?? null });
      return current;
    });
    this.signals.changed(id);
    return after;
  }

  /** One rejection ends the request (`rejected`), with the comment, by a member of a group or a release-manager. */
  async reject(ctx: RequestContext, id: string, input: { comment: string }): Promise<Deployment> {
    const d = await this.get(id);
    const who = { username: ctx.actor.username, role: ctx.actor.role };
    if (!d.approvalGroups.some((g) => memberOf(g, who)) && !atLeast(ctx.actor.role, 'release-manager')) {
      throw new ForbiddenError(`Rejecting deployment ${id} needs a member of ${d.approvalGroups.map(describeGroup).join(', ') || 'an approval group'} or the release-manager role; you have ${ctx.actor.role}.`, {
        groups: d.approvalGroups.map((g) => g.name),
        actual: ctx.actor.role,
      });
    }
    const after = await this.uow.transaction(async (tx) => {
      await tx.stores.deployments.lock(id);
      const now = (await tx.stores.deployments.get(id))!;
      if (now.status !== 'pending_approval') throw new ConflictError(`Deployment ${id} is ${now.status}: only a deployment waiting for approval can be rejected.`, { deployment: id, status: now.status });
      await tx.stores.deployments.update(id, ['pending_approval'], { rejection: { by: ctx.actor.username, comment: input.comment, at: tx.now }, updatedAt: tx.now });
      for (const t of now.targets) await tx.stores.deployments.updateTarget(id, t.key, ['pending'], { status: 'cancelled', message: `rejected by ${ctx.actor.username}`, finishedAt: tx.now });
      await this.transitions.log(tx, id, [{ line: `rejected by ${ctx.actor.username}: ${input.comment}` }]);
      const fresh = (await tx.stores.deployments.get(id))!;
      const ended = await this.transitions.finish(tx, ctx, fresh, 'rejected', null, ['pending_approval']);
      if (!ended) throw new ConflictError(`Deployment ${id} no longer waits for approval.`, { deployment: id });
      return ended;
    });
    this.signals.changed(id);
    return after;
  }

  private async get(id: string): Promise<Deployment> {
    const d = await this.uow.reads.deployments.get(id);
    if (!d) throw new NotFoundError(`Deployment ${id} does not exist.`, { deployment: id });
    return d;
  }
}
