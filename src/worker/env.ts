import type { ChatRoom } from '../objects/chat-room'
import type { ConferenceRoom } from '../objects/conference-room'
import type { LiveSessionRoom } from '../objects/live-session-room'
import type { LiveChatSession } from '../objects/live-chat-session'
import type { NotificationChannel } from '../objects/notification-channel'
import type { CaseQueue } from '../objects/case-queue'
import type { RateLimiter } from '../objects/rate-limiter'
import type { Config } from './config'
import type { AuthIdentity } from './lib/identity'
import type { MetricsRegistry } from './metrics/registry'
import type { DeliveryMessage } from './services/webhook-delivery'

/** Every binding wrangler.toml and the secrets give the Worker. Values are raw strings; `config.ts` types them. */
export interface Env {
  DB: D1Database
  BUCKET: R2Bucket
  CHAT_ROOM: DurableObjectNamespace<ChatRoom>
  CONFERENCE_ROOM: DurableObjectNamespace<ConferenceRoom>
  LIVE_SESSION: DurableObjectNamespace<LiveSessionRoom>
  LIVE_CHAT: DurableObjectNamespace<LiveChatSession>
  NOTIFICATION_CHANNEL: DurableObjectNamespace<NotificationChannel>
  CASE_QUEUE: DurableObjectNamespace<CaseQueue>
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>
  /** Outbound webhook deliveries (wrangler.toml `[[queues.producers]]`; consumed by the Worker's `queue`). */
  WEBHOOKS: Queue<DeliveryMessage>
  /** The pages Worker (web/wrangler.toml, web/dist): the console, the caller's page, the reference. */
  ASSETS: Fetcher
  /** The live metrics registry (metrics/registry.ts). */
  METRICS_REGISTRY: DurableObjectNamespace<MetricsRegistry>
  /** Workers Analytics Engine: every metrics report, for history. */
  METRICS?: AnalyticsEngineDataset
  [key: string]: unknown
}

/** Per-request values the middlewares set on the Hono context. */
export interface Variables {
  config: Config
  requestId: string
  identity?: AuthIdentity
  /** Set when the request ended in an error (lib/error-response.ts), for its log line. */
  failure?: RequestFailure
}

/** Why a request failed, as its log line says it. */
export interface RequestFailure {
  code: string
  message: string
  /** The settings a ConfigError names. */
  settings?: { setting: string; message: string }[]
  /** An unexpected error's own text and stack (the response says only "Internal error"). */
  cause?: string
  stack?: string
}

export type AppEnv = { Bindings: Env; Variables: Variables }
