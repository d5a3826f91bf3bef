// The React page of the browser tests: seed 002's QueryInterface, rendered on the server (with a
// bootstrap) and hydrated, or rendered in the browser only.
import { createElement as h } from 'react';
import type { ReactNode } from 'react';
import { SlipwayProvider, useFeatureFlag, useFlag } from '@slipway/sdk-web/react';
import type { EvaluationContext } from '@openfeature/web-sdk';
import type { Bootstrap, SlipwayWebOptions } from '@slipway/sdk-web';

export interface PageConfig {
  url: string;
  clientKey: string;
  context: Record<string, unknown>;
  bootstrap?: Bootstrap;
  options?: Partial<SlipwayWebOptions>;
}

function QueryInterface(): ReactNode {
  const newUI = useFeatureFlag('new_query_ui');
  const flavor = useFlag('flavor', 'standard');
  return h('main', null, h('div', { id: 'ui' }, newUI ? 'new' : 'legacy'), h('div', { id: 'flavor' }, flavor));
}

export function App(config: PageConfig): ReactNode {
  return h(
    SlipwayProvider,
    {
      url: config.url,
      clientKey: config.clientKey,
      context: config.context as EvaluationContext,
      ...(config.bootstrap && { bootstrap: config.bootstrap }),
      ...(config.options && { options: config.options }),
    },
    h(QueryInterface),
  );
}
