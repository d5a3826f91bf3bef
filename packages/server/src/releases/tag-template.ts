import semver from 'semver';

import { isValidRefName } from '../git/ref-names.js';

/** Tag names from the project's template (`v{version}`, `{project}-v{version}`), and back. Pure. */

/** Why a tag template is unusable, or null: it must contain `{version}` once and render valid tag names. */
export function describeInvalidTagTemplate(template: string): string | null {
  if (template.split('{version}').length !== 2) return 'must contain {version} exactly once';
  const sample = renderTag(template, { version: '1.0.0-rc.1', project: 'project' });
  if (/[{}]/.test(sample)) return 'may only use the placeholders {version} and {project}';
  if (!isValidRefName(sample)) return `renders ${JSON.stringify(sample)}, which is not a valid git tag name`;
  return null;
}

/** The tag name for a version: `{version}` and `{project}` replaced (`v{version}` → `v1.4.0`). */
export function renderTag(template: string, values: { version: string; project: string }): string {
  return template.replaceAll('{version}', values.version).replaceAll('{project}', values.project);
}

const tagPatterns = new Map<string, RegExp>();

function tagPattern(template: string, project: string): RegExp {
  const key = `${template}\0${project}`;
  let pattern = tagPatterns.get(key);
  if (!pattern) {
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const source = template
      .split('{version}')
      .map((part) => part.split('{project}').map(escape).join(escape(project)))
      .join('(.+)');
    pattern = new RegExp(`^${source}$`);
    if (tagPatterns.size > 1000) tagPatterns.clear();
    tagPatterns.set(key, pattern);
  }
  return pattern;
}

/** What stands where `{version}` is in a tag name matching the template (semver or not), or null when it does not match. */
export function matchTagTemplate(template: string, tagName: string, project: string): string | null {
  const match = tagPattern(template, project).exec(tagName);
  return match && match.length === 2 ? match[1]! : null;
}

/** The version a tag name stands for under the template, or null when it is not a release tag (strict semver only). */
export function parseTag(template: string, tagName: string, project: string): string | null {
  const version = matchTagTemplate(template, tagName, project);
  return version !== null && semver.valid(version) === version ? version : null;
}
