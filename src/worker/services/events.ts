import type { z } from '@hono/zod-openapi'
import { db } from '../db/client'
import type { Env } from '../env'
import { newId } from '../lib/ids'
import { countWorker } from '../metrics/worker-counts'
import type { PresenceChange } from '../lib/presence-debounce'
import type { EventInput, EventRoom, WebhookEvent } from '../schemas/events'
import { enqueueDeliveries, type DeliveryMessage } from './webhook-delivery'
import { subscribers, wants } from './webhook-endpoints'
import { log } from '../lib/log'

/**
 * Tells webhook endpoints that something happened. Any code calls it — REST services now, the room
 * core for `message.created` / `presence.*` — and nothing waits on delivery: it only queues one
 * delivery per subscribed endpoint (Cloudflare Queues; `webhook-delivery.ts` sends them). With no
 * endpoint subscribed to the type it does nothing beyond a cached lookup (no queue write). It never
 * throws: a failure to queue is logged and the caller's change stands.
 */
export function emitEvent(env: Env, event: EventInput): Promise<void> {
  return emitEvents(env, [event])
}

/** `emitEvent` for several events at once: one lookup, and as few queue writes as the limits allow. */
export async function emitEvents(env: Env, events: readonly EventInput[]): Promise<void> {
  if (events.length === 0 || !env.WEBHOOKS) return
  for (const e of events) countWorker('webhook_events', { type: e.type })
  try {
    const subs = await subscribers(db(env.DB))
    if (subs.length === 0) return
    const deliveries: DeliveryMessage[] = []
    const now = new Date().toISOString()
    for (const input of events) {
      const event = {
        id: newId(),
        type: input.type,
        created_at: now,
        service: input.service ?? null,
        data: input.data,
      } as WebhookEvent
      for (const sub of subs) if (wants(sub, event)) deliveries.push({ endpoint: sub.id, event })
    }
    if (deliveries.length > 0) await enqueueDeliveries(env, deliveries)
  } catch (err) {
    log('error', { msg: 'webhook events not queued', types: events.map((e) => e.type), error: String(err) })
  }
}

/**
 * A PresenceDebouncer change (lib/presence-debounce.ts) as the `presence.joined` / `presence.left`
 * event of a room of `kind` (the change's `room` is the room's id).
 */
export function presenceEvent(
  change: PresenceChange,
  kind: z.infer<typeof EventRoom>['kind'],
  service: number | null = null,
): EventInput<'presence.joined' | 'presence.left'> {
  return {
    type: change.type,
    service,
    data: {
      room: { kind, id: change.room },
      user_id: change.userId,
      user_name: change.userName,
      at: new Date(change.at).toISOString(),
    },
  }
}
