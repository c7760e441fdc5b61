import { asc, count, desc, eq, inArray, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client'
import { webhookDeadLetters, webhookEndpoints } from '../db/schema'
import type { Env } from '../env'
import { notFound } from '../lib/errors'
import { newId, secretToken } from '../lib/ids'
import { iso } from '../lib/time'
import type { EventType, WebhookEvent } from '../schemas/events'
import { enqueueDeliveries } from './webhook-delivery'

export type EndpointRow = typeof webhookEndpoints.$inferSelect
export type DeadLetterRow = typeof webhookDeadLetters.$inferSelect

/** An endpoint as admins see it (never its secret). */
export function endpointView(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as EventType[],
    service: row.service,
    description: row.description,
    max_batch_size: row.maxBatchSize,
    enabled: row.enabled,
    created_by: row.createdBy,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  }
}

const newSecret = () => `whsec_${secretToken()}`

export interface EndpointInput {
  url: string
  events: EventType[]
  service: number | null
  description?: string | null
  max_batch_size: number
  enabled: boolean
}

/** Registers an endpoint; the answer carries its signing secret (the only time it is shown). */
export async function createEndpoint(d: Db, input: EndpointInput, createdBy: string) {
  const row = await d
    .insert(webhookEndpoints)
    .values({
      id: newId(),
      url: input.url,
      events: JSON.stringify(input.events),
      service: input.service,
      description: input.description ?? null,
      maxBatchSize: input.max_batch_size,
      enabled: input.enabled,
      secret: newSecret(),
      createdBy,
    })
    .returning()
    .get()
  forgetSubscribers()
  return { ...endpointView(row), secret: row.secret }
}

export async function getEndpoint(d: Db, id: string): Promise<EndpointRow> {
  const row = await d.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get()
  if (!row) throw notFound('Webhook endpoint')
  return row
}

export const listEndpoints = (d: Db, service?: number) =>
  d
    .select()
    .from(webhookEndpoints)
    .where(service === undefined ? undefined : eq(webhookEndpoints.service, service))
    .orderBy(asc(webhookEndpoints.createdAt))
    .all()

/** Changes the given fields (404 for an unknown endpoint). */
export async function updateEndpoint(d: Db, id: string, patch: Partial<EndpointInput>) {
  const set = {
    ...(patch.url === undefined ? {} : { url: patch.url }),
    ...(patch.events === undefined ? {} : { events: JSON.stringify(patch.events) }),
    ...(patch.service === undefined ? {} : { service: patch.service }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.max_batch_size === undefined ? {} : { maxBatchSize: patch.max_batch_size }),
    ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
    updatedAt: Date.now(),
  }
  const row = await d.update(webhookEndpoints).set(set).where(eq(webhookEndpoints.id, id)).returning().get()
  if (!row) throw notFound('Webhook endpoint')
  forgetSubscribers()
  return row
}

/** A new signing secret; deliveries already queued are signed with it too. */
export async function rotateSecret(d: Db, id: string) {
  const row = await d
    .update(webhookEndpoints)
    .set({ secret: newSecret(), updatedAt: Date.now() })
    .where(eq(webhookEndpoints.id, id))
    .returning()
    .get()
  if (!row) throw notFound('Webhook endpoint')
  return { ...endpointView(row), secret: row.secret }
}

/** Deletes the endpoint and its dead letters; its deliveries still queued are dropped when they come up. */
export async function deleteEndpoint(d: Db, id: string): Promise<void> {
  const gone = await d.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning().get()
  if (!gone) throw notFound('Webhook endpoint')
  forgetSubscribers()
}

// ── Who subscribes to what (read on every emit, so cached per isolate) ──────────────────
/** An enabled endpoint's routing facts. */
export interface Subscriber {
  id: string
  service: number | null
  events: ReadonlySet<string>
}

/**
 * How long an isolate trusts its list of subscribers: an endpoint registered (or changed) through
 * another isolate starts (or stops) receiving events at most this late.
 */
export const SUBSCRIBERS_TTL_MS = 15_000
let cached: { at: number; list: Promise<Subscriber[]> } | undefined

/** The enabled endpoints, from D1 at most once per SUBSCRIBERS_TTL_MS per isolate. */
export function subscribers(d: Db, now = Date.now()): Promise<Subscriber[]> {
  if (cached && now - cached.at < SUBSCRIBERS_TTL_MS) return cached.list
  const list = d
    .select({ id: webhookEndpoints.id, service: webhookEndpoints.service, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.enabled, true))
    .all()
    .then((rows) => rows.map((r) => ({ ...r, events: new Set(JSON.parse(r.events) as string[]) })))
  cached = { at: now, list }
  list.catch(() => (cached = undefined))
  return list
}

/** Drops this isolate's cached subscribers (after any endpoint change). */
export function forgetSubscribers(): void {
  cached = undefined
}

/** Whether `sub` receives `event`: it names the type, and it takes every service or the event's. */
export const wants = (sub: Subscriber, event: Pick<WebhookEvent, 'type' | 'service'>) =>
  sub.events.has(event.type) && (sub.service === null || sub.service === event.service)

// ── Dead letters ──────────────────────────────────────────────────────────────────────────
export function deadLetterView(row: DeadLetterRow) {
  return {
    id: row.id,
    endpoint_id: row.endpointId,
    event_id: row.eventId,
    event_type: row.eventType,
    event: JSON.parse(row.event) as Record<string, unknown>,
    attempts: row.attempts,
    last_status: row.lastStatus,
    last_error: row.lastError,
    failed_at: iso(row.failedAt),
  }
}

/** Dead letters newest first, optionally of one endpoint. */
export function listDeadLetters(d: Db, filter: { endpointId?: string; limit: number }) {
  return d
    .select()
    .from(webhookDeadLetters)
    .where(filter.endpointId ? eq(webhookDeadLetters.endpointId, filter.endpointId) : undefined)
    .orderBy(desc(webhookDeadLetters.failedAt))
    .limit(filter.limit)
    .all()
}

/**
 * Queues dead letters again (same event ids, a fresh set of attempts) and removes them from the
 * store: one by id, or an endpoint's oldest `limit`. A replay that fails again lands here again.
 */
export async function replayDeadLetters(
  env: Env,
  d: Db,
  scope: { id: string } | { endpointId: string; limit?: number },
): Promise<{ replayed: number; remaining: number }> {
  const where: SQL =
    'id' in scope ? eq(webhookDeadLetters.id, scope.id) : eq(webhookDeadLetters.endpointId, scope.endpointId)
  const rows = await d
    .select()
    .from(webhookDeadLetters)
    .where(where)
    .orderBy(asc(webhookDeadLetters.failedAt))
    .limit('id' in scope ? 1 : Math.min(scope.limit ?? 100, 100))
    .all()
  if ('id' in scope && rows.length === 0) throw notFound('Dead letter')
  if (rows.length > 0) {
    await enqueueDeliveries(
      env,
      rows.map((r) => ({ endpoint: r.endpointId, event: JSON.parse(r.event) as WebhookEvent })),
    )
    await d.delete(webhookDeadLetters).where(
      inArray(
        webhookDeadLetters.id,
        rows.map((r) => r.id),
      ),
    )
  }
  const remaining =
    'id' in scope ? 0 : ((await d.select({ n: count() }).from(webhookDeadLetters).where(where).get())?.n ?? 0)
  return { replayed: rows.length, remaining }
}
