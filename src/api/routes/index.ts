import type { RouteFactory } from '../api-app.js';
import { accountsRoutes } from './accounts-routes.js';
import { agentsRoutes, workspacesRoutes } from './agents-routes.js';
import { analyticsRoutes } from './analytics-routes.js';
import { ccflareRoutes } from './ccflare-routes.js';
import { clearHistoryRoutes } from './clear-history-routes.js';
import { configRoutes } from './config-routes.js';
import { connectRoutes } from './connect-routes.js';
import { conversationsRoutes } from './conversations-routes.js';
import { eventsRoutes } from './events-routes.js';
import { eventsTicketRoutes } from './events-ticket-routes.js';
import { exportRoutes } from './export-routes.js';
import { interceptorsRoutes } from './interceptors-routes.js';
import { keysRoutes } from './keys-routes.js';
import { logsRoutes } from './logs-routes.js';
import { maintenanceRoutes } from './maintenance-routes.js';
import { metricsRoutes } from './metrics-routes.js';
import { modelsRoutes } from './models-routes.js';
import { notifyRoutes } from './notify-routes.js';
import { promptsRoutes } from './prompts-routes.js';
import { requestsRoutes } from './requests-routes.js';
import { statsRoutes } from './stats-routes.js';
import { strategyRoutes } from './strategy-routes.js';
import { tokenUsageRoutes } from './token-usage-routes.js';
import { approvalsRoutes, templatesRoutes, workersRoutes } from './workers-routes.js';

/** Every sub-app of the management API and where it is mounted. */
export const API_ROUTES: ReadonlyArray<[string, RouteFactory]> = [
  // First: ccflare's /api/requests/detail and /stream would otherwise be read as request ids.
  ['/api', ccflareRoutes],
  ['/api/accounts', accountsRoutes],
  ['/api/requests', requestsRoutes],
  ['/api/conversations', conversationsRoutes],
  ['/api/stats', statsRoutes],
  ['/api/analytics', analyticsRoutes],
  ['/api/config', configRoutes],
  ['/api/strategy', strategyRoutes],
  ['/api/maintenance/clear-history', clearHistoryRoutes],
  ['/api/maintenance', maintenanceRoutes],
  ['/api/events/ticket', eventsTicketRoutes],
  ['/api/events', eventsRoutes],
  ['/api/keys', keysRoutes],
  ['/api/logs', logsRoutes],
  ['/api/agents', agentsRoutes],
  ['/api/workspaces', workspacesRoutes],
  ['/api/models', modelsRoutes],
  ['/api/tools/interceptors', interceptorsRoutes],
  ['/api/connect', connectRoutes],
  ['/api/notify', notifyRoutes],
  ['/api/prompts', promptsRoutes],
  ['/api/export', exportRoutes],
  ['/api/token-usage', tokenUsageRoutes],
  ['/api/workers', workersRoutes],
  ['/api/approvals', approvalsRoutes],
  ['/api/templates', templatesRoutes],
  ['/', metricsRoutes],
];
