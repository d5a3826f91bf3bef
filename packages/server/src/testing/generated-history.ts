import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runGit } from '../git/git-runner.js';

/**
 * A realistic repository history, generated from a seed: plain conventional commits, feature branches
 * merged with merge commits, squash merges whose bodies carry further conventional commits, reverts of
 * commits in the same release window and of commits released earlier, and non-conventional subjects.
 * Every commit is described by a {@link CommitSpec}, so a test can compute the versions the rules give
 * without parsing a message — an independent model of what Slipway should answer.
 */

export interface CommitSpec {
  sha: string;
  type: string;
  breaking: boolean;
  /** Further conventional commits of a squash-merge body. */
  parts: Array<{ type: string; breaking: boolean }>;
  /** The sha this commit reverts. */
  revertOf?: string;
}

export interface Window {
  /** The first-parent commit on main that ends the window (what a release would tag). */
  end: string;
  /** Non-merge commits that became reachable from main in this window, oldest first. */
  commits: CommitSpec[];
}

/** A small seeded PRNG (mulberry32): the same seed gives the same history. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES: Array<[string, number]> = [['feat', 18], ['fix', 27], ['perf', 4], ['chore', 18], ['docs', 12], ['refactor', 9], ['test', 8], ['ci', 4]];

export class HistoryGenerator {
  private readonly next: () => number;
  private clock = 1_700_000_000;
  private counter = 0;
  private tree = '';
  head = '';
  /** Every non-merge commit ever made, for reverts of earlier windows. */
  readonly all: CommitSpec[] = [];

  private constructor(
    readonly dir: string,
    seed: number,
  ) {
    this.next = random(seed);
  }

  /** A bare repository in a temp dir with one initial commit on main. */
  static async create(seed: number): Promise<HistoryGenerator> {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'slipway-history-')), 'remote.git');
    await runGit(['init', '--bare', '--quiet', '--initial-branch=main', dir]);
    const generator = new HistoryGenerator(dir, seed);
    generator.tree = (await generator.git(['mktree'], '')).trim();
    generator.head = await generator.commitTree('chore: initial commit', [], generator.tree);
    await generator.git(['update-ref', 'refs/heads/main', generator.head]);
    return generator;
  }

  private async git(args: string[], input?: string): Promise<string> {
    const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com', GIT_AUTHOR_DATE: `@${this.clock} +0000`, GIT_COMMITTER_DATE: `@${this.clock} +0000` };
    return (await runGit([`--git-dir=${this.dir}`, ...args], { env, ...(input !== undefined && { input }) })).stdout;
  }

  /** One commit with its own file, so no two commits are the same object. */
  private async commitTree(message: string, parents: string[], base?: string): Promise<string> {
    this.clock += 60;
    const blob = (await this.git(['hash-object', '-w', '--stdin'], `${message}\n${this.counter++}\n`)).trim();
    const tree = base ?? (await this.git(['mktree'], `100644 blob ${blob}\tchange-${this.counter}.txt\n`)).trim();
    return (await this.git(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], message)).trim();
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  private type(): string {
    const total = TYPES.reduce((n, [, w]) => n + w, 0);
    let roll = this.next() * total;
    for (const [type, weight] of TYPES) if ((roll -= weight) < 0) return type;
    return 'chore';
  }

  private message(spec: Omit<CommitSpec, 'sha'>, n: number): string {
    const ticket = `HIS-${n}`;
    if (spec.revertOf) return `Revert "an earlier change"\n\nThis reverts commit ${spec.revertOf}.`;
    const header = (type: string, breaking: boolean, what: string) => `${type}${this.next() < 0.3 ? '(core)' : ''}${breaking && this.next() < 0.5 ? '!' : ''}: ${what}`;
    const subject = spec.type === 'other' ? `Update things (${ticket})` : header(spec.type, spec.breaking, `change ${n} (${ticket})`);
    const body: string[] = [];
    if (spec.breaking && !subject.includes('!:')) body.push('BREAKING CHANGE: the old behaviour is gone');
    spec.parts.forEach((part, i) => body.push(`${header(part.type, false, `part ${i + 1} of ${n}`)}${part.breaking ? '\n  BREAKING-CHANGE: part breaks it' : ''}`));
    return body.length > 0 ? `${subject}\n\n${body.join('\n\n')}` : subject;
  }

  private async add(spec: Omit<CommitSpec, 'sha'>, parent: string): Promise<CommitSpec> {
    const sha = await this.commitTree(this.message(spec, ++this.counter), [parent]);
    const made = { ...spec, sha };
    this.all.push(made);
    return made;
  }

  private plain(): Omit<CommitSpec, 'sha'> {
    const roll = this.next();
    if (roll < 0.05) return { type: 'other', breaking: false, parts: [] };
    return { type: this.type(), breaking: this.next() < 0.03, parts: [] };
  }

  /** Makes one release window of `steps` actions on main and returns it. */
  async window(steps: number): Promise<Window> {
    const commits: CommitSpec[] = [];
    for (let step = 0; step < steps; step++) {
      const roll = this.next();
      const revertable = commits.filter((c) => !c.revertOf && !commits.some((r) => r.revertOf === c.sha));
      if (roll < 0.1 && revertable.length > 0) {
        const spec = await this.add({ type: 'other', breaking: false, parts: [], revertOf: this.pick(revertable).sha }, this.head);
        commits.push(spec);
        this.head = spec.sha;
      } else if (roll < 0.13 && this.all.length > commits.length + 3) {
        const earlier = this.all.filter((c) => !commits.includes(c) && !c.revertOf);
        const spec = await this.add({ type: 'other', breaking: false, parts: [], revertOf: this.pick(earlier).sha }, this.head);
        commits.push(spec);
        this.head = spec.sha;
      } else if (roll < 0.27) {
        const parts = Array.from({ length: 1 + Math.floor(this.next() * 3) }, () => ({ type: this.type(), breaking: this.next() < 0.04 }));
        const spec = await this.add({ type: this.next() < 0.5 ? 'chore' : this.type(), breaking: false, parts }, this.head);
        commits.push(spec);
        this.head = spec.sha;
      } else if (roll < 0.4) {
        // A feature branch: commits on it, one on main meanwhile, then a merge commit.
        let branch = this.head;
        for (let i = 0; i < 2 + Math.floor(this.next() * 2); i++) {
          const spec = await this.add(this.plain(), branch);
          commits.push(spec);
          branch = spec.sha;
        }
        const onMain = await this.add(this.plain(), this.head);
        commits.push(onMain);
        this.head = await this.commitTree(`Merge branch 'feature-${this.counter}'`, [onMain.sha, branch]);
      } else {
        const spec = await this.add(this.plain(), this.head);
        commits.push(spec);
        this.head = spec.sha;
      }
    }
    await this.git(['update-ref', 'refs/heads/main', this.head]);
    return { end: this.head, commits };
  }

  /** A window of commits no default rule releases (chores, docs, a non-conventional subject). */
  async quiet(steps: number): Promise<Window> {
    const commits: CommitSpec[] = [];
    for (let step = 0; step < steps; step++) {
      const spec = await this.add({ type: this.pick(['chore', 'docs', 'test', 'other']), breaking: false, parts: [] }, this.head);
      commits.push(spec);
      this.head = spec.sha;
    }
    await this.git(['update-ref', 'refs/heads/main', this.head]);
    return { end: this.head, commits };
  }

  /** A tag made by hand (another tool's release): annotated or lightweight. */
  async tag(name: string, at: string, annotated: boolean): Promise<void> {
    if (annotated) await this.git(['tag', '-a', '-m', `release ${name}`, name, at]);
    else await this.git(['tag', name, at]);
  }
}

const RANK = { none: 0, patch: 1, minor: 2, major: 3 } as const;
type Level = keyof typeof RANK;

/**
 * The model: what the default rules (as the issue lists them) give for a window, written from the specs alone.
 * Returns the bump and how many changelog entries remain (a squash commit's parts count on their own).
 */
export function expectedRelease(window: readonly CommitSpec[]): { bump: Exclude<Level, 'none'> | null; entries: number } {
  const inWindow = new Set(window.map((c) => c.sha));
  const dropped = new Set<string>();
  for (const commit of [...window].reverse()) {
    if (dropped.has(commit.sha) || !commit.revertOf) continue;
    if (inWindow.has(commit.revertOf) && !dropped.has(commit.revertOf)) {
      dropped.add(commit.sha);
      dropped.add(commit.revertOf);
    }
  }
  let best: Level = 'none';
  let entries = 0;
  const level = (type: string, breaking: boolean): Level => (breaking ? 'major' : type === 'feat' ? 'minor' : type === 'fix' || type === 'perf' ? 'patch' : 'none');
  for (const commit of window) {
    if (dropped.has(commit.sha)) continue;
    entries += 1 + commit.parts.length;
    // A revert of a commit released earlier is no feat, fix or perf: it releases nothing by itself.
    const levels: Level[] = [commit.revertOf ? 'none' : level(commit.type, commit.breaking), ...commit.parts.map((p) => level(p.type, p.breaking))];
    for (const l of levels) if (RANK[l] > RANK[best]) best = l;
  }
  return { bump: best === 'none' ? null : best, entries };
}

export function bump(version: string, by: 'major' | 'minor' | 'patch'): string {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  if (by === 'major') return `${major + 1}.0.0`;
  if (by === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}
