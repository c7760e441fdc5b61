import { z } from '@hono/zod-openapi'
import { CaseView } from './cases'
import { Link } from './links'
import { LiveSession } from './live'
import { LiveChatSessionView } from './livechat'
import { Recording } from './recordings'

/**
 * The events Switchboard tells webhook endpoints about (README "Operations"): each type's `data`
 * schema. The services that own a change emit it (`services/events.ts` emitEvent); the room core
 * emits `message.created` and `presence.*`.
 */

/** Which room an event happened in: the kind of room object and its name (chat id, room name, session id). */
export const EventRoom = z
  .object({
    kind: z.enum(['chat', 'conference', 'live', 'livechat', 'notification', 'queue']),
    id: z.string(),
  })
  .openapi('EventRoom')

/** A message stored in a room's log, as its protocols deliver it. */
export const MessageCreatedData = z
  .object({
    room: EventRoom,
    message: z.object({
      id: z.string(),
      seq: z.number().int().nullable().openapi({ description: 'Position in the room log, where it has one' }),
      sender_id: z.string(),
      sender_name: z.string().nullable(),
      type: z.string().openapi({ example: 'text' }),
      content: z.string(),
      created_at: z.string(),
    }),
  })
  .openapi('MessageCreatedEvent')

/**
 * A user's first connection to a room opened (`presence.joined`) or their last one closed and
 * they did not reconnect within the grace period (`presence.left`; lib/presence-debounce.ts).
 */
export const PresenceData = z
  .object({
    room: EventRoom,
    user_id: z.string(),
    user_name: z.string().nullable(),
    at: z.string().openapi({ description: 'When the first connection opened / the last one closed' }),
  })
  .openapi('PresenceEvent')

export const LiveChatEventData = LiveChatSessionView.openapi('LiveChatEvent')

/** Every event type and its data. */
export const EVENT_DATA = {
  'message.created': MessageCreatedData,
  'presence.joined': PresenceData,
  'presence.left': PresenceData,
  'recording.finished': Recording,
  'link.opened': Link,
  'case.created': CaseView,
  'livechat.opened': LiveChatEventData,
  'livechat.closed': LiveChatEventData,
  'live.started': LiveSession,
  'live.ended': LiveSession,
} as const

export type EventType = keyof typeof EVENT_DATA
export const EVENT_TYPES = Object.keys(EVENT_DATA) as [EventType, ...EventType[]]
export const EventTypeSchema = z.enum(EVENT_TYPES).openapi('EventType')

/** What a service hands `emitEvent`: the type, its data, and the service it belongs to (if any). */
export type EventInput<T extends EventType = EventType> = {
  [K in T]: { type: K; data: z.infer<(typeof EVENT_DATA)[K]>; service?: number | null }
}[T]

/** An event as endpoints receive it: `id` is unique per event (deduplicate on it; a retried delivery repeats it). */
export type WebhookEvent<T extends EventType = EventType> = EventInput<T> & {
  id: string
  created_at: string
  service: number | null
}

const envelope = (type: EventType) =>
  z.object({
    id: z.string(),
    type: z.literal(type),
    created_at: z.string(),
    service: z.number().int().nullable().openapi({ description: 'The service it belongs to; null for none' }),
    data: EVENT_DATA[type],
  })

/** The body of every delivery: `{events:[…]}`, one event unless the endpoint takes batches. */
export const WebhookDelivery = z
  .object({
    events: z.array(z.discriminatedUnion('type', EVENT_TYPES.map(envelope) as never)),
  })
  .openapi('WebhookDelivery')
