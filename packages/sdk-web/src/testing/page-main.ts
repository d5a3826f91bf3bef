// Browser entry of the test page: hydrates the server's HTML when it came with a bootstrap.
import { createElement as h } from 'react';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { App } from './page-app.js';
import type { PageConfig } from './page-app.js';

// Typed by hand: the test sources compile without the DOM library.
const page = globalThis as unknown as { __SLIPWAY__: PageConfig; __events: string[]; document: { getElementById(id: string): never } };
const config = page.__SLIPWAY__;
const root = page.document.getElementById('root');
if (config.bootstrap) hydrateRoot(root, h(App, config));
else createRoot(root).render(h(App, config));
// What OpenFeature itself reports about the same provider, outside React.
page.__events = [];
for (const e of [ProviderEvents.Ready, ProviderEvents.Error, ProviderEvents.ConfigurationChanged]) {
  OpenFeature.addHandler(e, (d) => page.__events.push(`${e}:${d?.message ?? ''}`));
}
