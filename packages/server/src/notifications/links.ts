/** The Slipway resources a message can link to. */
export type LinkTarget =
  | { kind: 'deployment'; id: string }
  | { kind: 'release'; project: string; version: string }
  | { kind: 'flag'; project: string; flag: string }
  | { kind: 'project'; project: string }
  | { kind: 'status'; project?: string };

const enc = encodeURIComponent;

/**
 * Every link in a message is built here, and only here. Until the web app serves pages, each
 * points at the API resource, which exists and answers (with a token); the web app's branch
 * changes this one function to point at its pages (issue 10 §5, issue 12).
 */
export function slipwayLink(publicUrl: string, target: LinkTarget): string {
  const base = `${publicUrl.replace(/\/+$/, '')}/api/v1`;
  switch (target.kind) {
    case 'deployment':
      return `${base}/deployments/${enc(target.id)}`;
    case 'release':
      return `${base}/projects/${enc(target.project)}/releases/${enc(target.version)}`;
    case 'flag':
      return `${base}/projects/${enc(target.project)}/flags/${enc(target.flag)}`;
    case 'project':
      return `${base}/projects/${enc(target.project)}`;
    case 'status':
      return `${base}/status${target.project ? `?project=${enc(target.project)}` : ''}`;
  }
}
