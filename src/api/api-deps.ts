import type { Logger } from 'pino';
import type { AccountPool } from '../accounts/account-pool.js';
import type { AccountService } from '../accounts/account-service.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { EventBus } from '../events.js';
import type { RecordWriter, Store } from '../storage/types.js';

/** Everything the management API's routes may use; built once in build-app.ts. */
export interface ApiDeps {
  config: Config;
  store: Store;
  writer: RecordWriter;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  pool: AccountPool;
  accounts: AccountService;
  startedAt: number;
}
