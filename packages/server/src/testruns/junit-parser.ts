import sax from 'sax';
import { ValidationError } from '../shared/errors.js';

/** One test that did not simply pass: it failed, errored, or passed only after failing (flaky). */
export interface TestOutcome {
  key: string;
  suite: string;
  classname: string;
  name: string;
  kind: 'failed' | 'error' | 'flaky';
  message: string | null;
  detail: string | null;
  durationMs: number | null;
}

/** A JUnit report, reduced to what Slipway keeps: totals, what did not pass, and which tests passed. */
export interface ParsedReport {
  total: number;
  failed: number;
  errors: number;
  skipped: number;
  /** Tests that passed after failing within the report (Surefire's flakyFailure/flakyError). */
  flaky: number;
  durationMs: number;
  outcomes: TestOutcome[];
  /** Keys of the tests that passed (to see recoveries and flakiness across runs). */
  passed: Set<string>;
}

const MESSAGE_MAX = 1000;
const DETAIL_MAX = 4000;
const KEY_MAX = 1000;

/** The key a test is known by across runs: its class (or suite) and its name. */
export function testKey(classname: string, name: string): string {
  return `${classname}::${name}`.slice(0, KEY_MAX);
}

const seconds = (value: unknown): number | null => {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value.replace(/,/g, ''));
  return Number.isFinite(n) && n >= 0 ? n : null;
};

export function emptyReport(): ParsedReport {
  return { total: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, durationMs: 0, outcomes: [], passed: new Set() };
}

/**
 * Parses JUnit XML as written by Surefire/Gradle, pytest, vitest, Jest (jest-junit), Go and others:
 * `<testsuites>` or a single `<testsuite>` root, nested suites, `<testcase>` with `<failure>`,
 * `<error>`, `<skipped>`, and Surefire's rerun elements. Streaming (sax): no tree is built, so memory
 * follows what is kept (the tests that did not pass), not the size of the file.
 *
 * Hostile XML is refused: any DOCTYPE (where entity definitions live — "billion laughs", external
 * entities) stops the parse at once, and entity references other than the five XML ones are errors,
 * because the parser never expands entities.
 */
export function parseJunit(xml: string): ParsedReport {
  try {
    return parse(xml, false);
  } catch (error) {
    // The fast pass tracks no positions; a refused document is read again to say where it went wrong.
    if (error instanceof ValidationError && error.details.reason === undefined) parse(xml, true);
    throw error;
  }
}

function parse(xml: string, positions: boolean): ParsedReport {
  const report = emptyReport();
  const parser = sax.parser(true, { trim: false, normalize: false, position: positions });
  const suites: string[] = [];
  let rootTime: number | null = null;
  let topSuiteTime = 0;
  let topSuites = 0;
  let caseTimes = 0;
  let sawRoot = false;
  let current: { classname: string; name: string; suite: string; time: number | null; status: 'passed' | 'failed' | 'error' | 'skipped'; flaky: boolean; message: string | null; detail: string } | null = null;
  let capturing = false;
  let depth = 0;
  const fail = (message: string): never => {
    if (!positions) throw new ValidationError(`The body is not a JUnit XML report: ${message}.`, { field: 'body' });
    throw new ValidationError(`The body is not a JUnit XML report: ${message} (line ${parser.line + 1}, column ${parser.column + 1}).`, { field: 'body', line: parser.line + 1, column: parser.column + 1, reason: 'malformed' });
  };
  parser.ondoctype = () => {
    throw new ValidationError('The JUnit XML has a DOCTYPE: Slipway refuses DOCTYPEs and never expands entities (they enable "billion laughs" and external-entity attacks). Remove it; JUnit reports do not need one.', { field: 'body', reason: 'doctype_refused' });
  };
  parser.onerror = (error) => fail(error.message.split('\n')[0] ?? 'malformed XML');
  parser.onopentag = (node) => {
    depth++;
    const tag = node.name.toLowerCase();
    const attr = (name: string) => {
      const v = (node.attributes as Record<string, string>)[name];
      return typeof v === 'string' ? v : undefined;
    };
    if (!sawRoot) {
      sawRoot = true;
      if (tag !== 'testsuites' && tag !== 'testsuite') fail(`the root element is <${node.name}>, expected <testsuites> or <testsuite>`);
      if (tag === 'testsuites') rootTime = seconds(attr('time'));
    }
    if (tag === 'testsuite') {
      suites.push(attr('name') ?? '');
      if (suites.length === 1) {
        topSuites++;
        topSuiteTime += seconds(attr('time')) ?? 0;
      }
      return;
    }
    if (tag === 'testcase') {
      if (current !== null) fail('a <testcase> inside another <testcase>');
      current = { classname: attr('classname') ?? attr('class') ?? '', name: attr('name') ?? '', suite: suites.at(-1) ?? '', time: seconds(attr('time')), status: 'passed', flaky: false, message: null, detail: '' };
      return;
    }
    if (current === null) return;
    const set = (status: 'failed' | 'error' | 'skipped') => {
      // A failure wins over an error element of the same test, and both over skipped.
      const rank = { passed: 0, skipped: 1, error: 2, failed: 3 };
      if (rank[status] >= rank[current!.status]) current!.status = status;
      const message = attr('message') ?? attr('type') ?? null;
      if (status !== 'skipped' && current!.message === null && message !== null) current!.message = message.slice(0, MESSAGE_MAX);
      if (status !== 'skipped') capture(true);
    };
    if (tag === 'failure') set('failed');
    else if (tag === 'error') set('error');
    else if (tag === 'skipped') set('skipped');
    else if (tag === 'flakyfailure' || tag === 'flakyerror') {
      current.flaky = true;
      if (current.message === null) current.message = (attr('message') ?? attr('type') ?? 'passed after a rerun').slice(0, MESSAGE_MAX);
    }
  };
  const text = (t: string) => {
    if (current !== null && current.detail.length < DETAIL_MAX) current.detail += t.slice(0, DETAIL_MAX - current.detail.length);
  };
  // Text is listened to only inside <failure>/<error>: sax is several times faster without a text listener.
  function capture(on: boolean): void {
    capturing = on;
    parser.ontext = on ? text : (undefined as never);
    parser.oncdata = on ? text : (undefined as never);
  }
  parser.onclosetag = (name) => {
    depth--;
    const tag = name.toLowerCase();
    if (tag === 'failure' || tag === 'error') capture(false);
    else if (tag === 'testsuite') suites.pop();
    else if (tag === 'testcase' && current !== null) {
      const c = current;
      current = null;
      if (capturing) capture(false);
      report.total++;
      if (c.time !== null) caseTimes += c.time;
      const classname = c.classname || c.suite;
      const key = testKey(classname, c.name);
      const durationMs = c.time === null ? null : Math.round(c.time * 1000);
      const detail = c.detail.trim() === '' ? null : c.detail.trim();
      if (c.status === 'skipped') report.skipped++;
      else if (c.status === 'failed' || c.status === 'error') {
        if (c.status === 'failed') report.failed++;
        else report.errors++;
        report.outcomes.push({ key, suite: c.suite, classname, name: c.name, kind: c.status, message: c.message ?? (detail ? detail.split('\n')[0]!.slice(0, MESSAGE_MAX) : null), detail, durationMs });
      } else {
        report.passed.add(key);
        if (c.flaky) {
          report.flaky++;
          report.outcomes.push({ key, suite: c.suite, classname, name: c.name, kind: 'flaky', message: c.message, detail: null, durationMs });
        }
      }
    }
  };
  parser.write(xml).close();
  if (!sawRoot) fail('no root element');
  if (depth !== 0) fail('the document ends before its elements are closed');
  const seconds_ = rootTime ?? (topSuites > 0 && topSuiteTime > 0 ? topSuiteTime : caseTimes);
  report.durationMs = Math.round(seconds_ * 1000);
  return report;
}
