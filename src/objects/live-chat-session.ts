import type { Env } from '../worker/env'
import { AppError, badRequest, unauthorized } from '../worker/lib/errors'
import type { AuthIdentity } from '../worker/lib/identity'
import type { LiveChatUserType } from '../worker/schemas/livechat'
import { Channel, type BaseAttachment, type ChannelLimits, type Connection } from './channel'
import { configuredLimits, roomOptions } from './limits'
import * as livechat from './protocols/livechat'
import type { Actor } from './room/commands'
import { MessageRoom } from './room/core'
import { exceptUser, type RoomEvent } from './room/events'
import { roomWebhooks } from './room/webhooks'

export type { ConnectionStatus, LiveChatMessage } from './protocols/livechat'

/** Who a live-chat socket is (kept in its attachment, so it survives hibernation). */
export interface LiveChatAttachment extends BaseAttachment {
  userId: string
  userType: LiveChatUserType
  name: string
}

const HISTORY_MAX = 100

/**
 * One customer/agent live-chat session (seed 004): its sockets over the message-room core (the
 * log without a D1 index, typing that expires by alarm) in the live-chat protocol, and the
 * connection status derived from the open sockets themselves (so it is right after hibernation too).
 */
export class LiveChatSession extends Channel<Env, LiveChatAttachment> {
  protected room: MessageRoom
  #codec: livechat.LiveChatContext

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.room = new MessageRoom(
      ctx.storage,
      {
        emit: (e) => this.#emit(e),
        scheduleAlarm: (at) => this.scheduleAlarm(at),
        localConnections: (userId) => this.#connectionsOf(userId),
        observers: [
          roomWebhooks(ctx, env, {
            kind: 'livechat',
            id: () => this.name,
            scheduleAlarm: (at) => this.scheduleAlarm(at),
          }),
          { committed: (messages) => this.countMessages(messages.length) },
        ],
      },
      roomOptions(env, { index: false }),
    )
    this.#codec = {
      sessionId: () => this.room.log.meta('session_id') ?? '',
      userType: (userId) => this.#userType(userId),
      status: () => this.status(),
    }
  }

  protected limits(): ChannelLimits {
    return configuredLimits(this.env)
  }

  protected metricsOf() {
    return { kind: 'livechat', protocol: 'livechat' } as const
  }

  // ── RPC for the Worker ─────────────────────────────────────────────────────────────────

  /** Binds this object to its session and customer (idempotent; the first call wins). */
  open(sessionId: string, customerId: string): void {
    if (!this.room.log.meta('session_id')) {
      this.room.log.setMeta('session_id', sessionId)
      this.room.log.setMeta('customer_id', customerId)
    }
  }

  status(): livechat.ConnectionStatus {
    const users: livechat.ConnectionStatus['users'] = {}
    for (const { state } of this.connections()) {
      const seen = users[state.userId]
      const joined = new Date(state.connectedAt).toISOString()
      if (!seen || joined < seen.joined_at) {
        users[state.userId] = { user_id: state.userId, user_type: state.userType, joined_at: joined }
      }
    }
    const list = Object.values(users)
    const total_customer = list.filter((u) => u.user_type === 'customer').length
    const total_agent = list.length - total_customer
    return {
      users,
      customer_connected: total_customer > 0,
      agent_connected: total_agent > 0,
      total_customer,
      total_agent,
    }
  }

  /** Messages before `before` (or the newest), newest first. */
  history(before: number | undefined, limit: number): livechat.LiveChatMessage[] {
    return this.room.log
      .page(before, Math.min(limit, HISTORY_MAX))
      .map((m) => livechat.messageView(this.#codec, m))
  }

  /** Ends the session: tells every socket, then closes them. New connections are refused. */
  close(reason: string): void {
    this.room.log.setMeta('closed', '1')
    this.broadcast(livechat.closedFrame(reason))
    for (const conn of this.connections()) this.disconnect(conn, 1000, 'session closed')
  }

  // ── Sockets: parse → core → encode ─────────────────────────────────────────────────────

  protected onBeforeConnect(request: Request, user: AuthIdentity | undefined) {
    if (!user) throw unauthorized()
    if (this.room.log.meta('closed')) throw new AppError('conflict', 'This live-chat session is closed')
    const userType = new URL(request.url).searchParams.get('user_type')
    if (userType !== 'customer' && userType !== 'agent')
      throw badRequest('user_type must be customer or agent')
    return { userId: user.id, userType, name: user.name.slice(0, 100) } as const
  }

  protected onConnect(conn: Connection<LiveChatAttachment>, request: Request): void {
    this.room.arrived(actorOf(conn.state))
    const since = new URL(request.url).searchParams.get('since')
    const n = Number(since)
    if (since !== null && since !== '' && Number.isInteger(n) && n >= 0)
      for (const f of livechat.encodeReplay(this.#codec, this.room.replay(n))) this.sendTo(conn, f)
  }

  protected onClose(conn: Connection<LiveChatAttachment>): void {
    this.room.departed(actorOf(conn.state))
  }

  protected async onMessage(conn: Connection<LiveChatAttachment>, raw: string | ArrayBuffer): Promise<void> {
    const cmd = livechat.parseFrame(raw)
    const actor = actorOf(conn.state)
    // The ack follows the write: it leaves the object only once the write committed (output gate).
    if (cmd.type === 'send') this.sendTo(conn, livechat.sendAck(await this.room.execute(actor, cmd)))
    else await this.room.execute(actor, cmd)
  }

  protected onAlarm(): void {
    this.room.onAlarm(Date.now())
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────

  #emit(e: RoomEvent): void {
    const except = exceptUser(e)
    for (const frame of livechat.encodeEvent(this.#codec, e))
      this.broadcast(frame, except ? (c) => c.state.userId !== except : undefined)
  }

  #connectionsOf(userId: string): number {
    let n = 0
    for (const c of this.connections()) if (c.state.userId === userId) n++
    return n
  }

  #userType(userId: string): LiveChatUserType {
    return userId === this.room.log.meta('customer_id') ? 'customer' : 'agent'
  }
}

const actorOf = (s: LiveChatAttachment): Actor => ({ id: s.userId, name: s.name })
