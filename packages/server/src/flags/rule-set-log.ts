import type { Stores } from '../db/stores.js';
import type { FlagFanout, RuleSetNotice } from '../fanout/flag-fanout.js';
import type { RuleSetPatchBody } from './flag-change-store.js';

/**
 * Collects the rule-set patches of one transaction, writes them to the change log (bumping each
 * environment's version), and announces the new versions once the transaction has committed.
 */
export class RuleSetLog {
  private readonly notices: RuleSetNotice[] = [];

  constructor(
    private readonly stores: Stores,
    private readonly projectKey: string,
    private readonly now: string,
  ) {}

  async append(environmentKey: string, patch: RuleSetPatchBody): Promise<void> {
    const version = await this.stores.flagChanges.append(this.projectKey, environmentKey, patch, this.now);
    this.notices.push({ type: 'ruleset', project: this.projectKey, environment: environmentKey, version, patch });
  }

  /** The same patch for every environment (a change to a definition or a segment). */
  async appendEverywhere(patch: RuleSetPatchBody | ((environmentKey: string) => RuleSetPatchBody)): Promise<void> {
    for (const env of await this.stores.environments.all()) {
      await this.append(env.key, typeof patch === 'function' ? patch(env.key) : patch);
    }
  }

  /** Call after commit. */
  announce(fanout: FlagFanout): void {
    for (const notice of this.notices) fanout.publish(notice);
  }
}
