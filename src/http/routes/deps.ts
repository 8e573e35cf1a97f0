import type { Config } from '../../config/load.js';
import type { InferenceService } from '../../service/inference.js';
import type { SystemService } from '../../service/system.js';

/** What route plugins may use: the services (never stores, queues or workers directly) and config. */
export interface RouteDeps {
  config: Config;
  service: InferenceService;
  system: SystemService;
}
