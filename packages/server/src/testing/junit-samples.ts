import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Runs vitest itself (this repository's) on a small suite in a temp dir with its JUnit reporter and
 * returns the report it wrote: a real runner's output, not a hand-written imitation.
 */
export function vitestJunit(tests: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-vitest-junit-'));
  try {
    fs.writeFileSync(path.join(dir, 'sample.test.mjs'), tests);
    const out = path.join(dir, 'junit.xml');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', dir, '--globals', '--reporter=junit', `--outputFile=${out}`, '--pool=threads'], { encoding: 'utf8', timeout: 60_000 });
    if (!fs.existsSync(out)) throw new Error(`vitest wrote no report (exit ${r.status}): ${r.stderr}${r.stdout}`);
    return fs.readFileSync(out, 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The suite vitest runs above: 4 tests, 1 failure, 1 skipped. */
export const VITEST_SUITE = `describe('cart', () => {
  it('adds an item', () => { expect(1 + 1).toBe(2); });
  it('applies a coupon', () => { expect({ total: 90 }).toEqual({ total: 80 }); });
  it.skip('ships abroad', () => {});
});
describe('checkout', () => {
  it('pays with a card & <xml> chars', () => { expect(true).toBe(true); });
});
`;

/** Maven Surefire's report shape (TEST-*.xml): a single <testsuite> root, properties, a rerun that passed. */
export function surefireReport(opts: { failing?: string[]; passing?: string[] } = {}): string {
  const failing = opts.failing ?? ['testRefundTwice'];
  const passing = opts.passing ?? ['testCharge', 'testRefund'];
  const cases = [
    ...passing.map((n) => `  <testcase name="${n}" classname="com.example.payments.PaymentServiceTest" time="0.012"/>`),
    ...failing.map((n) => `  <testcase name="${n}" classname="com.example.payments.PaymentServiceTest" time="0.020">\n    <failure message="expected:&lt;200&gt; but was:&lt;409&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: expected:<200> but was:<409>\n\tat com.example.payments.PaymentServiceTest.${n}(PaymentServiceTest.java:42)]]></failure>\n    <system-out><![CDATA[refund id=R-1]]></system-out>\n  </testcase>`),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report.xsd" name="com.example.payments.PaymentServiceTest" time="0.35" tests="${cases.length + 3}" errors="1" skipped="1" failures="${failing.length}">
  <properties>
    <property name="java.version" value="21.0.2"/>
    <property name="surefire.test.class.path" value="/build/classes"/>
  </properties>
${cases.join('\n')}
  <testcase name="testCurrencies" classname="com.example.payments.PaymentServiceTest" time="0.001">
    <error message="Connection refused" type="java.net.ConnectException">java.net.ConnectException: Connection refused</error>
  </testcase>
  <testcase name="testLegacyGateway" classname="com.example.payments.PaymentServiceTest" time="0">
    <skipped message="gateway retired"/>
  </testcase>
  <testcase name="testRetryingCapture" classname="com.example.payments.PaymentServiceTest" time="0.050">
    <flakyFailure message="timeout waiting for capture" type="java.util.concurrent.TimeoutException">
      <stackTrace>java.util.concurrent.TimeoutException</stackTrace>
    </flakyFailure>
  </testcase>
</testsuite>
`;
}

/** pytest's --junitxml report shape (junit_family=xunit2): testsuites root, an error in setup, a skip. */
export function pytestReport(opts: { failing?: string[]; passing?: string[] } = {}): string {
  const failing = opts.failing ?? ['test_login_locked_account'];
  const passing = opts.passing ?? ['test_login', 'test_logout'];
  const cases = [
    ...passing.map((n) => `<testcase classname="tests.test_auth" name="${n}" time="0.003" />`),
    ...failing.map((n) => `<testcase classname="tests.test_auth" name="${n}" time="0.004"><failure message="AssertionError: assert 401 == 423">def ${n}(client):\n&gt;       assert r.status_code == 423\nE       assert 401 == 423\n\ntests/test_auth.py:31: AssertionError</failure></testcase>`),
  ];
  return `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="${failing.length}" skipped="1" tests="${cases.length + 2}" time="1.234" timestamp="2026-03-10T02:10:00.000000+00:00" hostname="ci-7">${cases.join('')}<testcase classname="tests.test_auth" name="test_sso" time="0.001"><error message="failed on setup with &quot;ConnectionError: idp unreachable&quot;">ConnectionError: idp unreachable</error></testcase><testcase classname="tests.test_auth" name="test_ldap" time="0.000"><skipped type="pytest.skip" message="ldap not configured">tests/test_auth.py:50: ldap not configured</skipped></testcase></testsuite></testsuites>`;
}

/** The "billion laughs": ten levels of entities, each ten times the one below. */
export const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuites><testsuite name="lolz"><testcase classname="x" name="&lol9;"><failure message="&lol9;"/></testcase></testsuite></testsuites>`;

/** A report of `n` tests (for size limits and benchmarks); `failEvery` makes every n-th fail. */
export function bigReport(n: number, opts: { failEvery?: number; padding?: number } = {}): string {
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="e2e">'];
  const perSuite = 100;
  for (let s = 0; s < Math.ceil(n / perSuite); s++) {
    parts.push(`<testsuite name="suite-${s}" tests="${perSuite}">`);
    for (let i = s * perSuite; i < Math.min(n, (s + 1) * perSuite); i++) {
      const fail = opts.failEvery !== undefined && i % opts.failEvery === 0;
      const out = opts.padding ? `<system-out>${'x'.repeat(opts.padding)}</system-out>` : '';
      parts.push(fail ? `<testcase classname="e2e.suite${s}" name="test ${i}" time="0.5"><failure message="expected page to load">Error at step ${i}</failure>${out}</testcase>` : `<testcase classname="e2e.suite${s}" name="test ${i}" time="0.5">${out}</testcase>`);
    }
    parts.push('</testsuite>');
  }
  parts.push('</testsuites>');
  return parts.join('\n');
}
