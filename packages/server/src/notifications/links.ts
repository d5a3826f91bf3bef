/** The Slipway resources a message can link to. */
export type LinkTarget =
  | { kind: 'deployment'; id: string }
  | { kind: 'rollout'; id: string }
  | { kind: 'release'; project: string; version: string }
  | { kind: 'flag'; project: string; flag: string }
  | { kind: 'project'; project: string }
  | { kind: 'status'; project?: string };

const enc = encodeURIComponent;

/**
 * Every link in a message is built here, and only here: each points at the web app's page for
 * the resource (served at `/` with an SPA fallback, so a deep link works on reload).
 */
export function slipwayLink(publicUrl: string, target: LinkTarget): string {
  const base = publicUrl.replace(/\/+$/, '');
  switch (target.kind) {
    case 'deployment':
      return `${base}/deployments/${enc(target.id)}`;
    case 'rollout':
      return `${base}/rollouts/${enc(target.id)}`;
    case 'release':
      return `${base}/projects/${enc(target.project)}/releases/${enc(target.version)}`;
    case 'flag':
      return `${base}/projects/${enc(target.project)}/flags/${enc(target.flag)}`;
    case 'project':
      return `${base}/projects/${enc(target.project)}`;
    case 'status':
      return target.project ? `${base}/projects/${enc(target.project)}` : `${base}/`;
  }
}
