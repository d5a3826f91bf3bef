import { describe, expect, it } from 'vitest';
import { ValidationError } from '../shared/errors.js';
import { BILLION_LAUGHS, bigReport, pytestReport, surefireReport, VITEST_SUITE, vitestJunit } from '../testing/junit-samples.js';
import { parseJunit } from './junit-parser.js';

describe('JUnit parser', () => {
  it("reads vitest's own JUnit reporter output, generated here", () => {
    const r = parseJunit(vitestJunit(VITEST_SUITE));
    expect({ total: r.total, failed: r.failed, errors: r.errors, skipped: r.skipped, flaky: r.flaky }).toEqual({ total: 4, failed: 1, errors: 0, skipped: 1, flaky: 0 });
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]).toMatchObject({ key: 'sample.test.mjs::cart > applies a coupon', name: 'cart > applies a coupon', classname: 'sample.test.mjs', kind: 'failed', message: 'expected { total: 90 } to deeply equal { total: 80 }' });
    expect(r.outcomes[0]!.detail).toContain('"total": 80');
    expect([...r.passed].sort()).toEqual(['sample.test.mjs::cart > adds an item', 'sample.test.mjs::checkout > pays with a card & <xml> chars']);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('reads a Surefire report: failure, error, skipped, and a flaky test that passed on rerun', () => {
    const r = parseJunit(surefireReport());
    expect({ total: r.total, failed: r.failed, errors: r.errors, skipped: r.skipped, flaky: r.flaky, durationMs: r.durationMs }).toEqual({ total: 6, failed: 1, errors: 1, skipped: 1, flaky: 1, durationMs: 350 });
    const byKind = Object.fromEntries(r.outcomes.map((o) => [o.kind, o]));
    expect(byKind.failed).toMatchObject({ key: 'com.example.payments.PaymentServiceTest::testRefundTwice', message: 'expected:<200> but was:<409>' });
    expect(byKind.failed!.detail).toContain('PaymentServiceTest.java:42');
    expect(byKind.failed!.detail).not.toContain('refund id=R-1');
    expect(byKind.error).toMatchObject({ name: 'testCurrencies', message: 'Connection refused' });
    expect(byKind.flaky).toMatchObject({ name: 'testRetryingCapture', message: 'timeout waiting for capture' });
    expect(r.passed.has('com.example.payments.PaymentServiceTest::testRetryingCapture')).toBe(true);
  });

  it('reads a pytest report: an error in setup counts as an error, not a failure', () => {
    const r = parseJunit(pytestReport());
    expect({ total: r.total, failed: r.failed, errors: r.errors, skipped: r.skipped, durationMs: r.durationMs }).toEqual({ total: 5, failed: 1, errors: 1, skipped: 1, durationMs: 1234 });
    expect(r.outcomes.map((o) => [o.key, o.kind])).toEqual([
      ['tests.test_auth::test_login_locked_account', 'failed'],
      ['tests.test_auth::test_sso', 'error'],
    ]);
    expect(r.outcomes[1]!.message).toBe('failed on setup with "ConnectionError: idp unreachable"');
  });

  it('refuses a billion-laughs document at its DOCTYPE, before any entity is read', () => {
    let error: unknown;
    try {
      parseJunit(BILLION_LAUGHS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details.reason).toBe('doctype_refused');
    // External entities live in a DOCTYPE too.
    expect(() => parseJunit('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&xxe;"/></testsuite>')).toThrow(/DOCTYPE/);
    // Without a DOCTYPE an unknown entity is an error, never expanded.
    expect(() => parseJunit('<testsuite><testcase name="&lol9;"/></testsuite>')).toThrow(ValidationError);
  });

  it('refuses what is not a JUnit report, saying where', () => {
    expect(() => parseJunit('<html><body>oops</body></html>')).toThrow(/root element is <html>/);
    expect(() => parseJunit('<testsuite><testcase name="a"></testsuite>')).toThrow(/line 1/);
    expect(() => parseJunit('<testsuite><testcase name="a">')).toThrow(ValidationError);
    expect(() => parseJunit('not xml at all')).toThrow(ValidationError);
  });

  it('keeps only what did not pass from a large report', () => {
    const r = parseJunit(bigReport(10_000, { failEvery: 500 }));
    expect({ total: r.total, failed: r.failed, outcomes: r.outcomes.length, passed: r.passed.size }).toEqual({ total: 10_000, failed: 20, outcomes: 20, passed: 9_980 });
  });
});
