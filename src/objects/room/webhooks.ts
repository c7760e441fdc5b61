import type { z } from '@hono/zod-openapi'
import { loadConfig } from '../../worker/config'
import type { Env } from '../../worker/env'
import { PresenceDebouncer, type PendingLeave } from '../../worker/lib/presence-debounce'
import { iso } from '../../worker/lib/time'
import type { EventInput, EventRoom } from '../../worker/schemas/events'
import { emitEvents, presenceEvent } from '../../worker/services/events'
import type { Actor } from './commands'
import type { StoredMessage } from './log'

/** What a message room tells whoever watches it from outside (MessageRoom's `RoomHost.observers`). */
export interface RoomObserver {
  /** The messages one write batch stored (first copies only), once per batch, after the batch ran. */
  committed?(messages: StoredMessage[]): void
  /** A user's first connection arrived (`online`), or their last one left. */
  presence?(user: Actor, online: boolean): void
  /** The object's alarm rang. */
  onAlarm?(now: number): void
}

export interface RoomWebhooksOptions {
  env: Env
  /** The room as events name it. */
  kind: z.infer<typeof EventRoom>['kind']
  /** The room's id (the object's name: read when first needed). */
  id(): string
  /** How long a reconnect still cancels `presence.left` (PRESENCE_LEAVE_GRACE_MS). */
  graceMs: number
  /** Keeps the object alive for work that no caller waits on (`ctx.waitUntil`). */
  waitUntil(p: Promise<unknown>): void
  /** Makes the object's alarm ring by `at` (earliest wins); it then calls the room's `onAlarm`. */
  scheduleAlarm(at: number): void
  /** The service the room belongs to (asked once per wake, off the send path); none by default. */
  service?(): Promise<number | null>
}

/** Stored pending leaves: they outlive an eviction, and the alarm reports them when due. */
const SCHEMA = `CREATE TABLE IF NOT EXISTS presence_leaves (
  user_id TEXT PRIMARY KEY, user_name TEXT, left_at INTEGER NOT NULL, due_at INTEGER NOT NULL)`

/**
 * A room's webhook events (README "Operations"): `message.created` for each stored message and
 * `presence.joined` / `presence.left` through a PresenceDebouncer, so that a user who reconnects
 * within the grace period is reported neither leaving nor joining. Nothing here runs on the send
 * path: a batch's messages are handed over after the batch ran, and every event leaves under
 * `waitUntil` once the batch's writes are durable (`storage.sync()`), through `emitEvents` (which
 * only queues). Pending leaves are kept in the object's SQLite storage, so a leave still pending
 * when the object is evicted is reported by its alarm.
 */
export class RoomWebhooks implements RoomObserver {
  readonly #storage: DurableObjectStorage
  readonly #o: RoomWebhooksOptions
  #debouncer: PresenceDebouncer | undefined
  #service: Promise<number | null> | undefined

  constructor(storage: DurableObjectStorage, options: RoomWebhooksOptions) {
    this.#storage = storage
    this.#o = options
  }

  committed(messages: StoredMessage[]): void {
    if (messages.length === 0) return
    const room = { kind: this.#o.kind, id: this.#o.id() }
    this.#emit(
      messages.map((m): EventInput => ({
        type: 'message.created',
        data: {
          room,
          message: {
            id: m.id,
            seq: m.seq,
            sender_id: m.sender_id,
            sender_name: m.sender_name,
            type: m.type,
            content: m.content,
            created_at: iso(m.created_at)!,
          },
        },
      })),
    )
  }

  presence(user: Actor, online: boolean, now = Date.now()): void {
    const d = this.#presence()
    const room = this.#o.id()
    if (online) return this.#report(d.connected(room, user.id, user.id, user.name, now))
    // After a wake the debouncer may not have seen this user arrive: it was announced before.
    d.adopt({ room, userId: user.id, userName: user.name, connectionId: user.id })
    this.#report(d.disconnected(room, user.id, user.id, now))
  }

  onAlarm(now: number): void {
    const d = this.#presence()
    const due = d.due(now)
    if (due.length) return this.#report(due)
    // Another of the object's alarms rang first: ring again for the next leave.
    const next = d.nextDueAt()
    if (next !== null) this.#o.scheduleAlarm(next)
  }

  /** Persists the pending leaves, sets the alarm for the next one and sends the changes. */
  #report(changes: ReturnType<PresenceDebouncer['due']>): void {
    const d = this.#presence()
    const sql = this.#storage.sql
    sql.exec('DELETE FROM presence_leaves')
    for (const p of d.pendingLeaves())
      sql.exec(
        'INSERT INTO presence_leaves (user_id, user_name, left_at, due_at) VALUES (?, ?, ?, ?)',
        p.userId,
        p.userName,
        p.leftAt,
        p.dueAt,
      )
    const next = d.nextDueAt()
    if (next !== null) this.#o.scheduleAlarm(next)
    if (changes.length) this.#emit(changes.map((c) => presenceEvent(c, this.#o.kind)))
  }

  /** The debouncer, with the leaves pending before this wake restored. */
  #presence(): PresenceDebouncer {
    if (this.#debouncer) return this.#debouncer
    const d = new PresenceDebouncer({ graceMs: this.#o.graceMs })
    this.#storage.sql.exec(SCHEMA)
    const pending = this.#storage.sql
      .exec<{ user_id: string; user_name: string | null; left_at: number; due_at: number }>(
        'SELECT user_id, user_name, left_at, due_at FROM presence_leaves',
      )
      .toArray()
      .map((r): PendingLeave => ({
        room: this.#o.id(),
        userId: r.user_id,
        userName: r.user_name,
        leftAt: r.left_at,
        dueAt: r.due_at,
      }))
    d.restore([], pending)
    return (this.#debouncer = d)
  }

  /** Queues events once the writes made so far are durable; the service is looked up once per wake. */
  #emit(events: EventInput[]): void {
    const env = this.#o.env
    this.#service ??= (this.#o.service?.() ?? Promise.resolve(null)).catch(() => null)
    const service = this.#service
    this.#o.waitUntil(
      this.#storage
        .sync()
        .then(() => service)
        .then((s) => emitEvents(env, s === null ? events : events.map((e) => ({ ...e, service: s }))))
        .catch((err) =>
          console.error(JSON.stringify({ level: 'error', msg: 'room events lost', error: String(err) })),
        ),
    )
  }
}

/** A room's webhooks as its object wires them: `ctx` and `env` of the object, PRESENCE_LEAVE_GRACE_MS. */
export function roomWebhooks(
  ctx: DurableObjectState,
  env: Env,
  o: Pick<RoomWebhooksOptions, 'kind' | 'id' | 'scheduleAlarm' | 'service'>,
): RoomWebhooks {
  return new RoomWebhooks(ctx.storage, {
    ...o,
    env,
    graceMs: loadConfig(env).PRESENCE_LEAVE_GRACE_MS,
    waitUntil: (p) => ctx.waitUntil(p),
  })
}
