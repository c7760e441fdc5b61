import { app } from './app'
import type { Env } from './env'
import { runScheduled } from './cron'
import { deliverWebhooks, type DeliveryMessage } from './services/webhook-delivery'

export { ChatRoom } from '../objects/chat-room'
export { ConferenceRoom } from '../objects/conference-room'
export { LiveSessionRoom } from '../objects/live-session-room'
export { LiveChatSession } from '../objects/live-chat-session'
export { NotificationChannel } from '../objects/notification-channel'
export { CaseQueue } from '../objects/case-queue'
export { RateLimiter } from '../objects/rate-limiter'

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<DeliveryMessage>, env: Env) {
    await deliverWebhooks(batch, env)
  },
  scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(controller.cron, env))
  },
} satisfies ExportedHandler<Env, DeliveryMessage>
