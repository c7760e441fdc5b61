import type { Env } from '../worker/env'
import { AppError, badRequest, unauthorized } from '../worker/lib/errors'
import type { AuthIdentity } from '../worker/lib/identity'
import { Channel, type BaseAttachment, type ChannelLimits, type Connection } from './channel'
import { configuredLimits } from './limits'
import { LivePresence, type Watcher } from './live-presence'
import {
  FULL_HEADER,
  SHARD_HEADER,
  ShardMember,
  ShardRoot,
  rootOf,
  type ShardItem,
  type ShardReport,
  type ShardSocket,
} from './shards'

/** Who a live-session socket is; `role` follows role changes (kept in the attachment). */
export interface LiveAttachment extends BaseAttachment {
  userId: string
  name: string
  role: string
}

/** Events the Worker publishes after a change took effect (see services/live-events.ts). */
export type LiveEventType = 'session' | 'role_changed' | 'kicked' | 'recording' | 'session_ended'

/** What an event does to the sockets it reaches, in the room's object and in each shard alike. */
export interface LiveEffect {
  /** The viewer count after this frame (a shard answers `ping` with it). */
  viewers?: number
  role?: { userId: string; role: string }
  kick?: string
  end?: true
}

/** A socket a shard reports to the room's object. */
export interface LiveSocket extends ShardSocket, Watcher {}

const ENDED_KEY = 'ended'
/** A shard's last known viewer count (synchronous KV). */
const VIEWERS_KEY = 'viewers'

/**
 * The Durable Object for one live session (seed 002): its participants' hibernatable sockets.
 * It tells them who is watching (`presence`, with the viewer count) and what the Worker changed
 * — the session (`session`), roles (`role_changed`), kicks (`kicked`, whose sockets it then
 * closes with 4003), recording (`recording`) and the end (`session_ended`, then every socket
 * closes with 1000 and later connections are refused). Media and in-room data go through LiveKit.
 *
 * A large session spreads over shards (./shards.ts): the session's own object (the root) holds
 * up to MAX_CONNECTIONS_PER_ROOM sockets, then places new ones in shard objects of this class
 * (`<session>#1`, `#2`, …), feeds them every event in its order (one delivery per shard per
 * turn) and counts presence from their reports (one call per shard per turn). A shard's sockets
 * are welcomed by the root, in that order.
 */
export class LiveSessionRoom extends Channel<Env, LiveAttachment> {
  /** The root's side (made on first use; undefined in a shard). */
  #shards: ShardRoot<LiveEffect> | undefined
  /** The shard's side (made on first use; undefined in the root). */
  #member: ShardMember<LiveSocket> | undefined
  /** The root's presence across its shards (built when the object wakes; undefined in a shard). */
  #presence: LivePresence | undefined

  protected limits(): ChannelLimits {
    return configuredLimits(this.env)
  }

  protected metricsOf() {
    return { kind: 'live', protocol: 'json' } as const
  }

  /** A shard counts no room of its own in metrics: its root does. */
  protected openRooms(): number {
    return this.#isShard ? 0 : super.openRooms()
  }

  protected onStart(): void {
    // A root reached for the first time by an alarm is not told its name; shards always are.
    let shard = false
    try {
      shard = this.#isShard
    } catch {
      /* no name yet: not a shard */
    }
    if (!shard)
      this.#presence = new LivePresence(
        this.ctx.storage.sql,
        [...this.connections()].map((c) => c.state),
      )
  }

  /** The root places a socket it has no room for in a shard: the Worker then opens it there. */
  async fetch(request: Request): Promise<Response> {
    if (
      request.headers.get('upgrade')?.toLowerCase() === 'websocket' &&
      !this.#isShard &&
      this.connectionCount >= this.limits().maxConnections
    ) {
      if (await this.ctx.storage.get(ENDED_KEY))
        return Response.json(
          { type: 'error', code: 'conflict', message: 'The session has ended' },
          { status: 409 },
        )
      const shard = this.#root.place(request.headers.get(FULL_HEADER))
      return new Response(null, { status: 307, headers: { [SHARD_HEADER]: shard } })
    }
    return super.fetch(request)
  }

  // ── RPC for the Worker ─────────────────────────────────────────────────────────────────

  /**
   * Sends one event to every socket, here and in every shard, and applies its effect on them.
   * Returns how many sockets got it here plus those the shards held at their last report.
   */
  async publish(type: LiveEventType, data: Record<string, unknown>): Promise<number> {
    const frame = JSON.stringify({ type, data })
    const userId = data.user_id as string | undefined
    const effect: LiveEffect | undefined =
      type === 'role_changed' && userId
        ? { role: { userId, role: String(data.role) } }
        : type === 'kicked' && userId
          ? { kick: userId }
          : type === 'session_ended'
            ? { end: true }
            : undefined
    const sent = this.broadcast(frame)
    this.#root.publish(effect ? { frame, effect } : { frame })
    if (effect) await this.#apply(effect)
    return sent + this.#root.remote
  }

  /** Who is connected now, in every shard: one entry per user. */
  presence(): { user_id: string; name: string; role: string }[] {
    return this.#people.list()
  }

  // ── RPC between the root and its shards ────────────────────────────────────────────────

  /** A shard's sockets that opened and closed since its last report (root only). */
  async shardReport(shard: string, report: ShardReport<LiveSocket>): Promise<void> {
    const root = this.#root
    const people = this.#people
    root.reported(shard, report)
    for (const s of report.joins) {
      const first = people.add(s, shard)
      root.publishTo(shard, { frame: this.#welcome(s.role), to: s.conn, effect: { viewers: people.count } })
      if (first) this.#announce(s, true, s.conn)
    }
    for (const s of report.leaves) if (people.remove(s.userId, shard)) this.#announce(s, false)
  }

  /** One turn of the root's items for this shard's sockets; answers how many sockets it holds. */
  async deliver(items: ShardItem<LiveEffect>[]): Promise<number> {
    return this.#shard.deliver(items, {
      all: () => this.connections(),
      send: (c, frame) => this.sendTo(c, frame),
      apply: (effect) => this.#apply(effect),
    })
  }

  // ── Sockets ────────────────────────────────────────────────────────────────────────────

  protected async onBeforeConnect(request: Request, user: AuthIdentity | undefined) {
    if (!user) throw unauthorized()
    if (await this.ctx.storage.get(ENDED_KEY)) throw new AppError('conflict', 'The session has ended')
    const role = new URL(request.url).searchParams.get('role')
    if (!role) throw badRequest('role is required')
    return { userId: user.id, name: user.name.slice(0, 100), role }
  }

  protected onConnect(conn: Connection<LiveAttachment>): void {
    if (this.#isShard) return this.#shard.joined(socketOf(conn))
    const people = this.#people
    const first = people.add(conn.state)
    this.sendTo(conn, this.#welcome(conn.state.role))
    if (first) this.#announce(conn.state, true, conn.id)
  }

  protected onClose(conn: Connection<LiveAttachment>): void {
    if (this.#isShard) return this.#shard.left(socketOf(conn))
    if (this.#people.remove(conn.state.userId)) this.#announce(conn.state, false)
  }

  protected onMessage(conn: Connection<LiveAttachment>, message: string | ArrayBuffer): void {
    if (typeof message !== 'string') throw badRequest('Frames are JSON text')
    const frame = JSON.parse(message) as { type?: unknown }
    if (frame === null || typeof frame !== 'object' || typeof frame.type !== 'string')
      throw badRequest('A frame needs a string `type`')
    if (frame.type !== 'ping')
      throw badRequest(`Unknown frame type ${JSON.stringify(frame.type).slice(0, 40)}; send ping`)
    const viewers = this.#isShard ? (this.ctx.storage.kv.get<number>(VIEWERS_KEY) ?? 0) : this.#people.count
    this.sendTo(conn, JSON.stringify({ type: 'pong', data: { viewers } }))
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────

  get #isShard(): boolean {
    return rootOf(this.name) !== undefined
  }

  get #root(): ShardRoot<LiveEffect> {
    return (this.#shards ??= new ShardRoot<LiveEffect>({
      sql: this.ctx.storage.sql,
      name: () => this.name,
      limit: () => this.limits().maxConnections,
      deliver: (shard, items) => liveSessionRoom(this.env, shard).deliver(items),
    }))
  }

  get #shard(): ShardMember<LiveSocket> {
    return (this.#member ??= new ShardMember<LiveSocket>({
      report: (report) => liveSessionRoom(this.env, rootOf(this.name)!).shardReport(this.name, report),
      count: () => this.connectionCount,
    }))
  }

  get #people(): LivePresence {
    if (!this.#presence) throw new AppError('internal_error', 'A shard keeps no presence; its root does')
    return this.#presence
  }

  #welcome(role: string): string {
    const people = this.#people
    return JSON.stringify({ type: 'welcome', data: { role, viewers: people.count, users: people.list() } })
  }

  /** Tells every socket, here and in the shards, that `who` arrived or left (except socket `except`). */
  #announce(who: Watcher, joined: boolean, except?: string): void {
    const viewers = this.#people.count
    const frame = JSON.stringify({
      type: 'presence',
      data: { user_id: who.userId, name: who.name, role: who.role, joined, viewers },
    })
    this.broadcast(frame, (c) => c.id !== except)
    this.#root.publish({ frame, ...(except !== undefined ? { except } : {}), effect: { viewers } })
  }

  /** Applies an event's effect to this object's sockets (the root's own, or a shard's). */
  async #apply(effect: LiveEffect): Promise<void> {
    if (effect.viewers !== undefined && this.#isShard) this.ctx.storage.kv.put(VIEWERS_KEY, effect.viewers)
    if (effect.role) {
      const { userId, role } = effect.role
      for (const c of this.connections())
        if (c.state.userId === userId) this.saveState(c, { ...c.state, role })
      this.#presence?.setRole(userId, role)
    }
    if (effect.kick)
      for (const c of this.connections())
        if (c.state.userId === effect.kick) this.disconnect(c, 4003, 'kicked')
    if (effect.end) {
      await this.ctx.storage.put(ENDED_KEY, true)
      for (const c of this.connections()) this.disconnect(c, 1000, 'session ended')
    }
  }
}

const socketOf = (conn: Connection<LiveAttachment>): LiveSocket => ({
  conn: conn.id,
  userId: conn.state.userId,
  name: conn.state.name,
  role: conn.state.role,
})

/** The object of one live session, or of one of its shards (`<session>#<k>`). */
export const liveSessionRoom = (env: Env, name: string) =>
  env.LIVE_SESSION.get(env.LIVE_SESSION.idFromName(name))
