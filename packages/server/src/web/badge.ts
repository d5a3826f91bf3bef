import type { Uow } from '../db/stores.js';
import { ForbiddenError, NotFoundError } from '../shared/errors.js';
import type { SdkKeyAuthenticator } from '../sdk/sdk-key-service.js';

/** What the badge shows: the environment, its colour, and the version Slipway says runs there. */
export interface BadgeData {
  project: string;
  environment: string;
  color: string;
  /** The current version, or several joined with " / " when targets run different ones; null before any deploy. */
  version: string | null;
}

/** A page should never show more than this: the ceiling for the script. */
export const BADGE_MAX_BYTES = 3 * 1024;

/**
 * The environment badge (seed 004: "a configurable colored border on all test versions"). Public
 * by design per environment (`badge: public`, the default): it shows what the running front-end
 * itself could show. `badge: key` asks for an SDK key of that project and environment (client
 * keys are public already; this stops casual probing), `badge: off` serves nothing.
 * Production-marked environments get a script that draws nothing and reveals nothing.
 */
export class BadgeService {
  constructor(
    private readonly uow: Uow,
    private readonly sdkKeys: SdkKeyAuthenticator,
  ) {}

  async data(projectKey: string, environmentKey: string, key: string | null): Promise<BadgeData | { none: string }> {
    const [project, env] = await Promise.all([this.uow.reads.projects.get(projectKey), this.uow.reads.environments.get(environmentKey)]);
    if (!project) throw new NotFoundError(`Project ${projectKey} does not exist.`, { project: projectKey });
    if (!env) throw new NotFoundError(`Environment ${environmentKey} does not exist.`, { environment: environmentKey });
    if (env.production) return { none: `${env.key} is marked production: no badge is drawn` };
    if (env.badge === 'off') return { none: `the badge is off for ${env.key}` };
    if (env.badge === 'key') {
      const identity = key === null ? null : await this.sdkKeys(key);
      if (identity === null || identity.projectKey !== project.key || identity.environmentKey !== env.key) {
        throw new ForbiddenError(`The badge of ${env.key} needs &key= with an SDK key of ${project.key} in ${env.key}.`, { project: project.key, environment: env.key });
      }
    }
    const state = await this.uow.reads.deploymentState.get(project.id, env.key);
    const versions = [...new Set([state?.current?.version, ...Object.values(state?.targets ?? {}).map((t) => t.version)].filter((v): v is string => typeof v === 'string'))];
    return { project: project.key, environment: env.name, color: env.color, version: versions.length === 0 ? null : versions.join(' / ') };
  }
}

/** Black or white, whichever reads better on the colour (WCAG relative luminance). */
function textOn(hex: string): string {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance > 0.179 ? '#000' : '#fff';
}

/** JSON that is also safe inside any script context. */
const literal = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/**
 * The script: a fixed, click-through border and a corner label, drawn once the body exists; no
 * framework, no globals, idempotent when included twice.
 */
export function badgeScript(data: BadgeData | { none: string }): string {
  if ('none' in data) return `/* Slipway environment badge: ${data.none.replace(/\*\//g, '')}. */\n`;
  const label = `${data.environment} · ${data.project} ${data.version ?? '(nothing deployed)'}`;
  return `/* Slipway environment badge */
(function(){var c=${literal(data.color)},f=${literal(textOn(data.color))},t=${literal(label)};
function d(){if(document.getElementById("slipway-badge"))return;
var b=document.createElement("div");b.id="slipway-badge";b.setAttribute("data-environment",${literal(data.environment)});
b.style.cssText="position:fixed;top:0;right:0;bottom:0;left:0;border:4px solid "+c+";pointer-events:none;z-index:2147483647;box-sizing:border-box";
var l=document.createElement("div");l.textContent=t;l.setAttribute("role","note");
l.style.cssText="position:absolute;right:0;bottom:0;padding:2px 8px;font:600 12px/1.5 system-ui,sans-serif;background:"+c+";color:"+f+";border-top-left-radius:4px";
b.appendChild(l);document.body.appendChild(b)}
if(document.body)d();else document.addEventListener("DOMContentLoaded",d)})();
`;
}
