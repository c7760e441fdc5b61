import { inArray } from 'drizzle-orm'
import { loadConfig } from '../config'
import { db, type Db } from '../db/client'
import { webhookDeadLetters, webhookEndpoints } from '../db/schema'
import type { Env } from '../env'
import { newId } from '../lib/ids'
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../lib/webhook-signature'
import type { WebhookEvent } from '../schemas/events'
import type { EndpointRow } from './webhook-endpoints'

/** One queued delivery: one event for one endpoint (so each endpoint retries on its own). */
export interface DeliveryMessage {
  endpoint: string
  event: WebhookEvent
}

/** Unique per POST (a retry gets a new one; the events keep their ids). */
export const DELIVERY_HEADER = 'x-switchboard-delivery'

// Queues accept at most 100 messages and 256 KB per sendBatch.
const BATCH_MESSAGES = 100
const BATCH_BYTES = 200_000

/** Queues deliveries in as few `sendBatch` calls as the Queues limits allow. */
export async function enqueueDeliveries(env: Env, deliveries: DeliveryMessage[]): Promise<void> {
  let chunk: { body: DeliveryMessage }[] = []
  let bytes = 0
  for (const body of deliveries) {
    const size = JSON.stringify(body).length
    if (chunk.length === BATCH_MESSAGES || (chunk.length > 0 && bytes + size > BATCH_BYTES)) {
      await env.WEBHOOKS.sendBatch(chunk)
      chunk = []
      bytes = 0
    }
    chunk.push({ body })
    bytes += size
  }
  if (chunk.length > 0) await env.WEBHOOKS.sendBatch(chunk)
}

/** Queues' longest delay. */
const MAX_DELAY_SECONDS = 43_200

/** Seconds before retrying after failed attempt `attempt` (1-based): base, 2×base, 4×base… capped at 12 h. */
export const retryDelay = (attempt: number, baseSeconds: number) =>
  Math.min(baseSeconds * 2 ** (attempt - 1), MAX_DELAY_SECONDS)

/** What one POST came to. */
interface Outcome {
  ok: boolean
  status: number | null
  error: string | null
}

/** What a batch of deliveries came to, for metrics. */
export interface DeliveryTally {
  delivered: number
  retried: number
  dead_lettered: number
  dropped: number
}

/**
 * The queue consumer: groups the batch's deliveries by endpoint, POSTs each endpoint up to its
 * `max_batch_size` events at a time (signed), acks what a 2xx answered, retries the rest with
 * exponential backoff, and after WEBHOOK_MAX_ATTEMPTS keeps them as dead letters. Deliveries for
 * an endpoint deleted or disabled since are dropped.
 */
export async function deliverWebhooks(
  batch: MessageBatch<DeliveryMessage>,
  env: Env,
): Promise<DeliveryTally> {
  const config = loadConfig(env)
  const d = db(env.DB)
  const tally: DeliveryTally = { delivered: 0, retried: 0, dead_lettered: 0, dropped: 0 }
  const endpoints = await loadEndpoints(d, [...new Set(batch.messages.map((m) => m.body.endpoint))])
  const groups = new Map<EndpointRow, Message<DeliveryMessage>[]>()
  for (const m of batch.messages) {
    const endpoint = endpoints.get(m.body.endpoint)
    if (!endpoint?.enabled) {
      m.ack()
      tally.dropped++
      continue
    }
    groups.set(endpoint, [...(groups.get(endpoint) ?? []), m])
  }
  const failed: { endpoint: EndpointRow; message: Message<DeliveryMessage>; outcome: Outcome }[] = []
  const posts: Promise<void>[] = []
  for (const [endpoint, messages] of groups) {
    for (let i = 0; i < messages.length; i += endpoint.maxBatchSize) {
      const chunk = messages.slice(i, i + endpoint.maxBatchSize)
      posts.push(
        post(endpoint, chunk, config.WEBHOOK_TIMEOUT_MS).then((outcome) => {
          if (outcome.ok) {
            for (const m of chunk) m.ack()
            tally.delivered += chunk.length
          } else for (const message of chunk) failed.push({ endpoint, message, outcome })
        }),
      )
    }
  }
  await Promise.all(posts)
  const dead = failed.filter((f) => f.message.attempts >= config.WEBHOOK_MAX_ATTEMPTS)
  for (const f of failed) {
    if (f.message.attempts < config.WEBHOOK_MAX_ATTEMPTS) {
      f.message.retry({ delaySeconds: retryDelay(f.message.attempts, config.WEBHOOK_RETRY_BASE_SECONDS) })
      tally.retried++
    }
  }
  // Ack a dead letter only once it is stored: if D1 fails, the throw retries it through Queues.
  await storeDeadLetters(d, dead)
  for (const f of dead) f.message.ack()
  tally.dead_lettered = dead.length
  return tally
}

async function loadEndpoints(d: Db, ids: string[]): Promise<Map<string, EndpointRow>> {
  const out = new Map<string, EndpointRow>()
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await d
      .select()
      .from(webhookEndpoints)
      .where(inArray(webhookEndpoints.id, ids.slice(i, i + 90)))
      .all()
    for (const r of rows) out.set(r.id, r)
  }
  return out
}

/** One signed POST of `{events:[…]}`; only a 2xx counts (redirects are not followed). */
async function post(endpoint: EndpointRow, messages: Message<DeliveryMessage>[], timeoutMs: number) {
  const body = JSON.stringify({ events: messages.map((m) => m.body.event) })
  const timestamp = Math.floor(Date.now() / 1000)
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Switchboard-Webhooks/1',
        [DELIVERY_HEADER]: newId(),
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: await signWebhook(endpoint.secret, timestamp, body),
      },
      body,
    })
    // Free the connection; the receiver's answer body is not used.
    await res.body?.cancel()
    return { ok: res.status >= 200 && res.status < 300, status: res.status, error: null } satisfies Outcome
  } catch (err) {
    return { ok: false, status: null, error: String(err).slice(0, 500) } satisfies Outcome
  }
}

async function storeDeadLetters(
  d: Db,
  dead: { endpoint: EndpointRow; message: Message<DeliveryMessage>; outcome: Outcome }[],
) {
  const now = Date.now()
  const rows = dead.map(({ endpoint, message, outcome }) => ({
    id: newId(),
    endpointId: endpoint.id,
    eventId: message.body.event.id,
    eventType: message.body.event.type,
    event: JSON.stringify(message.body.event),
    attempts: message.attempts,
    lastStatus: outcome.status,
    lastError: outcome.error ?? (outcome.status ? `HTTP ${outcome.status}` : null),
    failedAt: now,
  }))
  // 9 columns a row: 10 rows stay under D1's 100 bound parameters.
  for (let i = 0; i < rows.length; i += 10) await d.insert(webhookDeadLetters).values(rows.slice(i, i + 10))
}
