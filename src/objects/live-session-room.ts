import type { Env } from '../worker/env'
import { AppError, badRequest, unauthorized } from '../worker/lib/errors'
import type { AuthIdentity } from '../worker/lib/identity'
import { Channel, type BaseAttachment, type ChannelLimits, type Connection } from './channel'
import { configuredLimits } from './limits'

/** Who a live-session socket is; `role` follows role changes (kept in the attachment). */
export interface LiveAttachment extends BaseAttachment {
  userId: string
  name: string
  role: string
}

/** Events the Worker publishes after a change took effect (see services/live-events.ts). */
export type LiveEventType = 'session' | 'role_changed' | 'kicked' | 'recording' | 'session_ended'

const ENDED_KEY = 'ended'

/**
 * The Durable Object for one live session (seed 002): its participants' hibernatable sockets.
 * It tells them who is watching (`presence`, with the viewer count) and what the Worker changed
 * — the session (`session`), roles (`role_changed`), kicks (`kicked`, whose sockets it then
 * closes with 4003), recording (`recording`) and the end (`session_ended`, then every socket
 * closes with 1000 and later connections are refused). Media and in-room data go through LiveKit.
 */
export class LiveSessionRoom extends Channel<Env, LiveAttachment> {
  protected limits(): ChannelLimits {
    return configuredLimits(this.env)
  }

  protected metricsOf() {
    return { kind: 'live', protocol: 'json' } as const
  }

  // ── RPC for the Worker ─────────────────────────────────────────────────────────────────

  /** Sends one event to every socket and applies its effect on them. Returns how many sockets got it. */
  async publish(type: LiveEventType, data: Record<string, unknown>): Promise<number> {
    const sent = this.broadcast(JSON.stringify({ type, data }))
    const userId = data.user_id as string | undefined
    if (type === 'role_changed' && userId)
      for (const c of this.connections())
        if (c.state.userId === userId) this.saveState(c, { ...c.state, role: String(data.role) })
    if (type === 'kicked' && userId)
      for (const c of this.connections()) if (c.state.userId === userId) this.disconnect(c, 4003, 'kicked')
    if (type === 'session_ended') {
      await this.ctx.storage.put(ENDED_KEY, true)
      for (const c of this.connections()) this.disconnect(c, 1000, 'session ended')
    }
    return sent
  }

  /** Who is connected now: one entry per user (their earliest connection). */
  presence(): { user_id: string; name: string; role: string }[] {
    const users = new Map<string, { user_id: string; name: string; role: string }>()
    for (const { state } of this.connections())
      if (!users.has(state.userId))
        users.set(state.userId, { user_id: state.userId, name: state.name, role: state.role })
    return [...users.values()]
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
    const viewers = this.presence()
    this.sendTo(
      conn,
      JSON.stringify({
        type: 'welcome',
        data: { role: conn.state.role, viewers: viewers.length, users: viewers },
      }),
    )
    if (this.#connectionsOf(conn.state.userId) === 1) this.#presence(conn.state, true, viewers.length, conn)
  }

  protected onClose(conn: Connection<LiveAttachment>): void {
    if (this.#connectionsOf(conn.state.userId) === 0)
      this.#presence(conn.state, false, this.presence().length)
  }

  protected onMessage(conn: Connection<LiveAttachment>, message: string | ArrayBuffer): void {
    if (typeof message !== 'string') throw badRequest('Frames are JSON text')
    const frame = JSON.parse(message) as { type?: unknown }
    if (frame === null || typeof frame !== 'object' || typeof frame.type !== 'string')
      throw badRequest('A frame needs a string `type`')
    if (frame.type !== 'ping')
      throw badRequest(`Unknown frame type ${JSON.stringify(frame.type).slice(0, 40)}; send ping`)
    this.sendTo(conn, JSON.stringify({ type: 'pong', data: { viewers: this.presence().length } }))
  }

  #connectionsOf(userId: string): number {
    let n = 0
    for (const c of this.connections()) if (c.state.userId === userId) n++
    return n
  }

  #presence(who: LiveAttachment, joined: boolean, viewers: number, except?: Connection<LiveAttachment>) {
    const frame = JSON.stringify({
      type: 'presence',
      data: { user_id: who.userId, name: who.name, role: who.role, joined, viewers },
    })
    this.broadcast(frame, (c) => c !== except)
  }
}

/** The object of one live session. */
export const liveSessionRoom = (env: Env, sessionId: string) =>
  env.LIVE_SESSION.get(env.LIVE_SESSION.idFromName(sessionId))
