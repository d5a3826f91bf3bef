/** A release as the lead-time walk needs it: where its changelog counts from, and its commits. */
export interface ReleaseNode {
  version: string;
  previous: string | null;
  commits: Array<{ sha: string; time: string; type: string }>;
}

/** A successful deployment of a project to one environment, in the order they finished. */
export interface SuccessfulDeployment {
  id: string;
  version: string;
  finishedAt: string;
}

/** What one deployment brought to its environment first. */
export interface DeploymentChanges {
  deploymentId: string;
  version: string;
  finishedAt: string;
  /** The version's first success in the environment. */
  firstOfVersion: boolean;
  commits: number;
  /** Commits of type `feat` among them (features reaching the environment). */
  features: number;
  /** Seconds from each commit's time to the deployment's end, sorted ascending. */
  leadSeconds: number[];
}

/**
 * The commits each deployment deployed first, for one project and environment, walking the release
 * chain (each release's changelog counts from `previous`) from the deployed version back to a version
 * already deployed there. Commits already deployed (e.g. by a release candidate of the same version)
 * count once, for the deployment that brought them. A rollback redeploys known commits: it brings none.
 */
export function changesPerDeployment(deployments: readonly SuccessfulDeployment[], releases: ReadonlyMap<string, ReleaseNode>): DeploymentChanges[] {
  const deployedVersions = new Set<string>();
  const deployedShas = new Set<string>();
  const out: DeploymentChanges[] = [];
  for (const d of deployments) {
    const at = Date.parse(d.finishedAt);
    const firstOfVersion = !deployedVersions.has(d.version);
    const lead: number[] = [];
    let features = 0;
    const queue = [d.version];
    const visited = new Set<string>();
    while (queue.length > 0) {
      const version = queue.shift()!;
      if (visited.has(version) || deployedVersions.has(version)) continue;
      visited.add(version);
      const node = releases.get(version);
      if (!node) continue;
      for (const c of node.commits) {
        if (deployedShas.has(c.sha)) continue;
        deployedShas.add(c.sha);
        // A commit dated after the deployment (clock skew) counts as zero, never negative.
        lead.push(Math.max(0, Math.round((at - Date.parse(c.time)) / 1000)));
        if (c.type === 'feat') features++;
      }
      if (node.previous !== null) queue.push(node.previous);
    }
    for (const v of visited) deployedVersions.add(v);
    deployedVersions.add(d.version);
    lead.sort((a, b) => a - b);
    out.push({ deploymentId: d.id, version: d.version, finishedAt: d.finishedAt, firstOfVersion, commits: lead.length, features, leadSeconds: lead });
  }
  return out;
}
