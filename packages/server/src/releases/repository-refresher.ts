import type { Uow } from '../db/stores.js';
import { RepositoryUnreachableError } from '../git/git-errors.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import type { ProjectRecord } from '../projects/project-store.js';

export interface RefreshResult {
  project: string;
  /** The default branch and its head after the fetch (null for an empty repository). */
  branch: string | null;
  head: string | null;
  durationMs: number;
}

/**
 * Keeps the server's clones warm (docs/decisions/0007): fetches every project's repository in the
 * background — every `intervalMs`, and at once when asked (`POST …/repository/refresh`, e.g. from CI or a
 * push webhook) — then updates the clone's commit-graph. A release then fetches only what arrived since,
 * usually nothing, instead of paying for every new commit inside the request; and ancestry checks
 * (merged back, the previous release) use the commit-graph's generation numbers.
 */
export class RepositoryRefresher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly pending = new Map<string, Promise<RefreshResult>>();
  /** The default-branch head each project's answers were last precomputed for. */
  private readonly warmed = new Map<string, string>();

  constructor(
    private readonly uow: Uow,
    private readonly repositories: RepositoryRegistry,
    private readonly options: {
      intervalMs: number;
      onError?(error: unknown, context: string): void;
      /** Runs after a fetch that moved the default branch (e.g. to compute merged-back answers ahead of time). */
      afterFetch?(project: ProjectRecord): Promise<void>;
    },
  ) {}

  /** Where to hand a fetched project (set once by the composition root). */
  set afterFetch(hook: (project: ProjectRecord) => Promise<void>) {
    this.options.afterFetch = hook;
  }

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.refreshAll().finally(() => {
        this.running = null;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await Promise.allSettled(this.pending.values());
  }

  /** Fetches one project's repository now; concurrent calls for one project share one fetch. */
  refresh(project: ProjectRecord): Promise<RefreshResult> {
    const known = this.pending.get(project.key);
    if (known) return known;
    const work = this.fetch(project).finally(() => this.pending.delete(project.key));
    this.pending.set(project.key, work);
    return work;
  }

  /** One pass over every project, one at a time; unreachable repositories are skipped quietly (releases report them). */
  async refreshAll(): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const page = await this.uow.reads.projects.page(after, 100);
      for (const project of page) {
        if (this.timer === null && this.options.intervalMs > 0) return;
        await this.refresh(project).catch((error: unknown) => {
          if (!(error instanceof RepositoryUnreachableError)) this.options.onError?.(error, `refreshing the clone of ${project.key}`);
        });
      }
      if (page.length < 100) return;
      after = page[page.length - 1]!.key;
    }
  }

  private async fetch(project: ProjectRecord): Promise<RefreshResult> {
    const started = performance.now();
    const repo = this.repositories.forProject(project);
    const { tip, moved } = await repo.exclusive(async () => {
      await repo.sync({ maintenance: true });
      const after = await repo.defaultBranchHead().catch(() => null);
      await repo.tidy();
      return { tip: after, moved: this.warmed.get(project.key) !== after?.head };
    });
    if (moved && tip && this.options.afterFetch) {
      await this.options.afterFetch(project).catch((error: unknown) => this.options.onError?.(error, `precomputing merged-back answers of ${project.key}`));
      this.warmed.set(project.key, tip.head);
    }
    return { project: project.key, branch: tip?.branch ?? null, head: tip?.head ?? null, durationMs: Math.round(performance.now() - started) };
  }
}
