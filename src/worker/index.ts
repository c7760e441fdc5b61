import { app } from './app'
import type { Env } from './env'
import { runScheduled } from './cron'
import { loadConfig } from './config'
import { countWorker, flushWorkerCounts, workerFlushDue } from './metrics/worker-counts'
import { deliverWebhooks, type DeliveryMessage } from './services/webhook-delivery'

export { ChatRoom } from '../objects/chat-room'
export { ConferenceRoom } from '../objects/conference-room'
export { LiveSessionRoom } from '../objects/live-session-room'
export { LiveChatSession } from '../objects/live-chat-session'
export { NotificationChannel } from '../objects/notification-channel'
export { CaseQueue } from '../objects/case-queue'
export { RateLimiter } from '../objects/rate-limiter'
export { MetricsRegistry } from './metrics/registry'

export default {
  fetch: app.fetch,
  async queue(batch, env, ctx) {
    const tally = await deliverWebhooks(batch, env)
    for (const [outcome, n] of Object.entries(tally)) countWorker('webhook_deliveries', { outcome }, n)
    if (workerFlushDue(loadConfig(env).METRICS_REPORT_INTERVAL_MS)) ctx.waitUntil(flushWorkerCounts(env))
  },
  scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller.cron, env))
  },
} satisfies ExportedHandler<Env, DeliveryMessage>
