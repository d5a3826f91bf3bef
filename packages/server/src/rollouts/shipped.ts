import type { AnalysisTemplate, Plan } from '@slipway/rollout-engine';

/**
 * What every project has without creating anything: the seed's canary plan (5 % for 30 minutes →
 * 25 % for 1 hour → 50 % for 2 hours → 100 %) and its thresholds as templates. They measure with
 * Slipway's own ingestion (`POST /api/v1/metrics`): `result` is the canary (the new version or the
 * rolled-out variant), `baseline` the stable one (the previous version or the other variants).
 */
export const SHIPPED_PLANS: Record<string, Plan> = {
  'standard-canary': {
    steps: [{ setWeight: 5 }, { pause: { duration: '30m' } }, { setWeight: 25 }, { pause: { duration: '1h' } }, { setWeight: 50 }, { pause: { duration: '2h' } }, { setWeight: 100 }],
    analysis: { templates: ['error-rate-absolute-5m', 'latency-50pct-10m', 'availability'] },
  },
};

export const SHIPPED_TEMPLATES: Record<string, AnalysisTemplate> = {
  // "Error rate: < 0.1 % increase" while the canary runs.
  'error-rate-increase': {
    name: 'error-rate-increase',
    metrics: [{ name: 'error-rate-increase', provider: { slipway: { metric: 'error-rate', window: '5m' } }, interval: '5m', failureCondition: 'result - baseline >= 0.001', failureLimit: 1, inconclusiveLimit: 2 }],
  },
  // "Response time: < 10 % degradation".
  'latency-degradation': {
    name: 'latency-degradation',
    metrics: [{ name: 'latency-degradation', provider: { slipway: { metric: 'latency-p95', window: '5m' } }, interval: '5m', failureCondition: 'result > baseline * 1.1', failureLimit: 1, inconclusiveLimit: 2 }],
  },
  // Automatic rollback: "error rate > 1 % for 5 consecutive minutes".
  'error-rate-absolute-5m': {
    name: 'error-rate-absolute-5m',
    metrics: [{ name: 'error-rate', provider: { slipway: { metric: 'error-rate', window: '1m' } }, interval: '1m', failureCondition: 'result > 0.01', failureLimit: -1, consecutiveFailureLimit: 4, inconclusiveLimit: 5 }],
  },
  // Automatic rollback: "response time > 50 % worse for 10 minutes".
  'latency-50pct-10m': {
    name: 'latency-50pct-10m',
    metrics: [{ name: 'latency-p95', provider: { slipway: { metric: 'latency-p95', window: '1m' } }, interval: '1m', failureCondition: 'result > baseline * 1.5', failureLimit: -1, consecutiveFailureLimit: 9, inconclusiveLimit: 5 }],
  },
  // Automatic rollback: "any service unavailable" — the canary failing most of its requests.
  availability: {
    name: 'availability',
    metrics: [{ name: 'availability', provider: { slipway: { metric: 'error-rate', window: '1m' } }, interval: '30s', failureCondition: 'result >= 0.5', failureLimit: 0, inconclusiveLimit: 10 }],
  },
};
