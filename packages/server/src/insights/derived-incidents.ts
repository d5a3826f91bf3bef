/** A finished deployment as incident detection sees it. */
export interface OutcomeEvent {
  deploymentId: string;
  projectKey: string;
  version: string;
  finishedAt: string;
  /** Failed, or rolled back (after succeeding or failing). */
  failed: boolean;
  /** It ran successfully in the environment (a deployment later rolled back did too). */
  succeeded: boolean;
}

export interface DerivedIncident {
  /** `deployment:<id of the deployment that opened it>` */
  id: string;
  projectKey: string;
  openedAt: string;
  resolvedAt: string | null;
  /** The deployment that opened it, and any later failures while it was open. */
  deployments: string[];
  versions: string[];
  resolvedBy: string | null;
}

/**
 * Incidents opened by failed or rolled-back deployments of one project in one environment, as Four
 * Keys times them: from the deployment that caused the failure to the restoration, which is the next
 * successful deployment there. While one is open, further failures join it. Events must be in the
 * order they finished. `openAtStart` says an incident was already open before the first event.
 */
export function deriveIncidents(events: readonly OutcomeEvent[], openAtStart = false): DerivedIncident[] {
  const out: DerivedIncident[] = [];
  let open: DerivedIncident | null = null;
  let inherited = openAtStart;
  for (const e of events) {
    if (e.failed) {
      // A deployment that succeeded and was later rolled back broke things from the moment it landed.
      if (open === null && !inherited) {
        open = { id: `deployment:${e.deploymentId}`, projectKey: e.projectKey, openedAt: e.finishedAt, resolvedAt: null, deployments: [e.deploymentId], versions: [e.version], resolvedBy: null };
        out.push(open);
      } else if (open !== null) {
        open.deployments.push(e.deploymentId);
        if (!open.versions.includes(e.version)) open.versions.push(e.version);
      }
      continue;
    }
    if (e.succeeded) {
      if (open !== null) {
        open.resolvedAt = e.finishedAt;
        open.resolvedBy = e.deploymentId;
        open = null;
      }
      inherited = false;
    }
  }
  return out;
}
