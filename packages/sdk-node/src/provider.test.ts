// SlipwayProvider through the real @openfeature/server-sdk, offline and against a real server process.
import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import type { EventDetails } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from './client.js';
import { SlipwayProvider } from './provider.js';
import { memoryLogger, newCheckout, sampleRuleSet } from './testing/fixtures.js';
import { eventually, startFlagServer } from './testing/flag-server.js';
import type { FlagServer } from './testing/flag-server.js';

const ACME = { targetingKey: 'user-1', company: 'acme' };

afterAll(async () => {
  await OpenFeature.close();
});

describe('SlipwayProvider offline', () => {
  it('evaluates every type through the OpenFeature client, with reasons, variants and error codes', async () => {
    await OpenFeature.setProviderAndWait('offline', new SlipwayProvider({ offline: true, bootstrap: sampleRuleSet(), logger: memoryLogger() }));
    const flags = OpenFeature.getClient('offline');
    expect(flags.providerStatus).toBe(ProviderStatus.READY);
    expect(await flags.getBooleanValue('new-checkout', false, ACME)).toBe(true);
    expect(await flags.getStringValue('flavor', 'x', { targetingKey: 'u', company: 'umbrella' })).toBe('eu-sovereign');
    expect(await flags.getNumberValue('retries', 0, {})).toBe(2);
    expect(await flags.getObjectValue('limits', {}, {})).toEqual({ uploadMb: 10, regions: ['eu'] });
    expect(await flags.getBooleanDetails('new-checkout', false, { targetingKey: 'user-3' })).toMatchObject({
      flagKey: 'new-checkout',
      reason: 'SPLIT',
    });
    expect(await flags.getBooleanDetails('new-checkout', false, ACME)).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });

    const mismatch = await flags.getStringDetails('new-checkout', 'dflt', ACME);
    expect(mismatch).toMatchObject({ value: 'dflt', reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
    const missing = await flags.getBooleanDetails('nope', true, ACME);
    expect(missing).toMatchObject({ value: true, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    const noKey = await flags.getBooleanDetails('new-checkout', true, { company: 'hooli' });
    expect(noKey).toMatchObject({ value: true, errorCode: ErrorCode.TARGETING_KEY_MISSING });
  });

  it('wraps an existing client', async () => {
    const client = new SlipwayClient({ offline: true, bootstrap: sampleRuleSet(), logger: memoryLogger() });
    const provider = new SlipwayProvider(client);
    expect(provider.client).toBe(client);
    expect(provider.metadata.name).toBe('slipway');
    await OpenFeature.setProviderAndWait('wrapped', provider);
    expect(await OpenFeature.getClient('wrapped').getStringValue('flavor', 'x', { company: 'acme' })).toBe('dedicated');
  });
});

describe('SlipwayProvider against a real server', () => {
  let server: FlagServer;

  beforeAll(async () => {
    server = await startFlagServer();
    await server.createFlag('new-checkout', [
      { key: 'on', value: true },
      { key: 'off', value: false },
    ]);
    await server.configure('new-checkout', newCheckout().environment);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('passes ConfigurationChanged with the changed flags, then Error, Stale and Ready as the server goes and comes back', async () => {
    const provider = new SlipwayProvider({
      url: server.url,
      sdkKey: server.serverKey,
      logger: memoryLogger(),
      streamInitialRetryMs: 20,
      streamMaxRetryMs: 200,
      pollIntervalMs: 100,
      staleAfterMs: 300,
    });
    await OpenFeature.setProviderAndWait('live', provider);
    const flags = OpenFeature.getClient('live');
    const events: string[] = [];
    const changed: (string[] | undefined)[] = [];
    flags.addHandler(ProviderEvents.ConfigurationChanged, (details?: EventDetails) => {
      events.push('changed');
      changed.push(details?.flagsChanged as string[] | undefined);
    });
    for (const e of [ProviderEvents.Ready, ProviderEvents.Error, ProviderEvents.Stale]) flags.addHandler(e, () => events.push(e));
    events.length = 0; // a Ready handler added to a ready provider runs at once

    expect(await flags.getBooleanValue('new-checkout', false, ACME)).toBe(true);
    await server.configure('new-checkout', newCheckout({ enabled: false }).environment);
    await eventually(() => changed.length > 0, 'PROVIDER_CONFIGURATION_CHANGED');
    expect(changed[0]).toEqual(['new-checkout']);
    expect(await flags.getBooleanValue('new-checkout', true, ACME)).toBe(false);

    await server.stop();
    await eventually(() => events.includes(ProviderEvents.Error) && events.includes(ProviderEvents.Stale), 'PROVIDER_ERROR and PROVIDER_STALE');
    expect(flags.providerStatus).toBe(ProviderStatus.STALE);
    expect(await flags.getBooleanDetails('new-checkout', true, ACME)).toMatchObject({ value: false, variant: 'off', reason: 'DISABLED' });

    await server.start();
    await eventually(() => flags.providerStatus === ProviderStatus.READY, 'PROVIDER_READY after the server came back');
    expect(events.at(-1)).toBe(ProviderEvents.Ready);
    // Once per outage, however many polls failed meanwhile.
    expect(events.filter((e) => e === ProviderEvents.Error)).toHaveLength(1);
    expect(events.filter((e) => e === ProviderEvents.Stale)).toHaveLength(1);
    await server.configure('new-checkout', newCheckout().environment);
    await eventually(() => changed.length > 1, 'a change after reconnecting');
    expect(await flags.getBooleanValue('new-checkout', false, ACME)).toBe(true);
  });

  it('becomes FATAL when the SDK key is refused', async () => {
    const provider = new SlipwayProvider({ url: server.url, sdkKey: 'slw_sdk_not-a-key', logger: memoryLogger() });
    await expect(OpenFeature.setProviderAndWait('refused', provider)).rejects.toThrow(/refused/);
    const flags = OpenFeature.getClient('refused');
    expect(flags.providerStatus).toBe(ProviderStatus.FATAL);
    expect(await flags.getBooleanDetails('new-checkout', true, ACME)).toMatchObject({ value: true, errorCode: ErrorCode.PROVIDER_FATAL });
  });
});
