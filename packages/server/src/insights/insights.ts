import type { Uow } from '../db/stores.js';
import { BugService } from '../bugs/bug-service.js';
import { IncidentService } from '../incidents/incident-service.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import { DoraService } from './dora-service.js';
import { QualityService } from './quality-service.js';

/** The insights features (issue 14) as the composition root wires them. */
export interface Insights {
  readonly dora: DoraService;
  readonly quality: QualityService;
  readonly incidents: IncidentService;
  readonly bugs: BugService;
}

export interface InsightsDeps {
  uow: Uow;
  clock: Clock;
  ids: IdGenerator;
  secrets: SecretBox;
  publicUrl: string;
  onError?(error: unknown, context: string): void;
}

export function createInsights(d: InsightsDeps): Insights {
  const dora = new DoraService(d.uow, d.clock);
  return {
    dora,
    quality: new QualityService(d.uow, dora),
    incidents: new IncidentService(d.uow, d.ids, d.clock, dora),
    bugs: new BugService(d.uow, d.ids, d.clock, d.secrets),
  };
}
