import type { Env } from '../worker/env'
import { AppError, badRequest, unauthorized } from '../worker/lib/errors'
import type { AuthIdentity } from '../worker/lib/identity'
import { newId } from '../worker/lib/ids'
import { LiveChatFrame, type LiveChatUserType } from '../worker/schemas/livechat'
import { validationError } from '../worker/lib/errors'
import { Channel, type BaseAttachment, type ChannelLimits, type Connection } from './channel'
import { ChatLog, type StoredMessage } from './chat-log'
import { configuredLimits } from './limits'
import { WriteBatch } from './write-batch'

/** Who a live-chat socket is (kept in its attachment, so it survives hibernation). */
export interface LiveChatAttachment extends BaseAttachment {
  userId: string
  userType: LiveChatUserType
  name: string
}

/** Seed 004's connection status, exactly. */
export interface ConnectionStatus {
  users: Record<string, { user_id: string; user_type: LiveChatUserType; joined_at: string }>
  customer_connected: boolean
  agent_connected: boolean
  total_customer: number
  total_agent: number
}

/** A live-chat message as clients receive it. */
export interface LiveChatMessage {
  id: string
  seq: number
  session_id: string
  user_id: string
  user_type: LiveChatUserType
  name: string
  message: string
  client_id: string | null
  created_at: string
}

const REPLAY_LIMIT = 1000
const HISTORY_MAX = 100

/**
 * One customer/agent live-chat session (seed 004): its sockets, its ordered message log (the
 * chat log, without a D1 index), typing indicators that expire by alarm, and connection status
 * derived from the open sockets themselves (so it is right after hibernation too).
 */
export class LiveChatSession extends Channel<Env, LiveChatAttachment> {
  #log: ChatLog
  #writes = new WriteBatch()
  /** How long a typing indicator lives without being renewed (ms). */
  typingTtlMs = 5_000

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#log = new ChatLog(ctx.storage, { index: false })
  }

  protected limits(): ChannelLimits {
    return configuredLimits(this.env)
  }

  // ── RPC for the Worker ─────────────────────────────────────────────────────────────────

  /** Binds this object to its session and customer (idempotent; the first call wins). */
  open(sessionId: string, customerId: string): void {
    if (!this.#log.meta('session_id')) {
      this.#log.setMeta('session_id', sessionId)
      this.#log.setMeta('customer_id', customerId)
    }
  }

  status(): ConnectionStatus {
    const users: ConnectionStatus['users'] = {}
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
  history(before: number | undefined, limit: number): LiveChatMessage[] {
    return this.#log.page(before, Math.min(limit, HISTORY_MAX)).map((m) => this.#view(m))
  }

  /** Ends the session: tells every socket, then closes them. New connections are refused. */
  close(reason: string): void {
    this.#log.setMeta('closed', '1')
    this.broadcast(JSON.stringify({ type: 'session_closed', data: { reason } }))
    for (const conn of this.connections()) this.disconnect(conn, 1000, 'session closed')
  }

  // ── Sockets ────────────────────────────────────────────────────────────────────────────

  protected onBeforeConnect(request: Request, user: AuthIdentity | undefined) {
    if (!user) throw unauthorized()
    if (this.#log.meta('closed')) throw new AppError('conflict', 'This live-chat session is closed')
    const userType = new URL(request.url).searchParams.get('user_type')
    if (userType !== 'customer' && userType !== 'agent')
      throw badRequest('user_type must be customer or agent')
    return { userId: user.id, userType, name: user.name.slice(0, 100) } as const
  }

  protected onConnect(conn: Connection<LiveChatAttachment>, request: Request): void {
    const since = Number(new URL(request.url).searchParams.get('since'))
    this.#presence('user_connected', conn.state)
    if (Number.isInteger(since) && since >= 0 && new URL(request.url).searchParams.has('since')) {
      for (const m of this.#log.after(since, REPLAY_LIMIT)) this.sendTo(conn, this.#frame(m))
    }
  }

  protected onClose(conn: Connection<LiveChatAttachment>): void {
    this.#presence('user_disconnected', conn.state)
  }

  protected async onMessage(conn: Connection<LiveChatAttachment>, raw: string | ArrayBuffer): Promise<void> {
    if (typeof raw !== 'string') throw badRequest('Binary frames are not supported')
    const parsed = LiveChatFrame.safeParse(JSON.parse(raw))
    if (!parsed.success) throw validationError(parsed.error.issues)
    const frame = parsed.data
    const { state } = conn
    if (frame.type === 'send_message') {
      const { message, client_id } = frame.data
      const { stored, created } = await this.#writes.run(() => this.#send(state, message, client_id))
      // The write above committed before this frame leaves the object (output gate).
      this.sendTo(
        conn,
        JSON.stringify({
          type: 'message_ack',
          data: { client_id: client_id ?? null, id: stored.id, seq: stored.seq, duplicate: !created },
        }),
      )
      return
    }
    // Typing keeps its order behind this socket's sends still being written.
    const pending = this.#writes.idle
    if (pending) await pending
    const typing = frame.type === 'typing' ? frame.data.is_typing : frame.type === 'typing_start'
    this.#setTyping(state, typing)
  }

  /** Stores a message (or finds its first copy) and tells the session; runs in a write batch. */
  #send(state: LiveChatAttachment, message: string, client_id: string | undefined) {
    const { row: stored, created } = this.#log.append({
      id: newId(),
      sender_id: state.userId,
      sender_name: state.name,
      sender_email: null,
      content: message,
      type: 'text',
      reply_to: null,
      client_id: client_id ?? null,
      created_at: Date.now(),
    })
    if (created) {
      this.#setTyping(state, false)
      this.broadcast(this.#frame(stored))
    }
    return { stored, created }
  }

  protected onAlarm(): void {
    for (const t of this.#log.expireTyping(Date.now())) {
      const conn = [...this.connections()].find((c) => c.state.userId === t.user_id)
      this.#typingFrame(t.user_id, conn?.state.userType ?? this.#userType(t.user_id), false)
    }
    const next = this.#log.nextTypingExpiry()
    if (next) this.scheduleAlarm(next)
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────

  #setTyping(state: LiveChatAttachment, typing: boolean): void {
    if (typing) {
      this.#log.startTyping(state.userId, state.name, Date.now() + this.typingTtlMs)
      this.scheduleAlarm(this.#log.nextTypingExpiry()!)
    } else if (!this.#log.stopTyping(state.userId)) {
      return
    }
    this.#typingFrame(state.userId, state.userType, typing)
  }

  #typingFrame(userId: string, userType: LiveChatUserType, isTyping: boolean) {
    this.broadcast(
      JSON.stringify({ type: 'typing', data: { user_id: userId, user_type: userType, is_typing: isTyping } }),
      (c) => c.state.userId !== userId,
    )
  }

  #presence(type: 'user_connected' | 'user_disconnected', state: LiveChatAttachment): void {
    const data = { user_id: state.userId, user_type: state.userType, status: this.status() }
    this.broadcast(JSON.stringify({ type, data }))
  }

  #userType(userId: string): LiveChatUserType {
    return userId === this.#log.meta('customer_id') ? 'customer' : 'agent'
  }

  #view(m: StoredMessage): LiveChatMessage {
    return {
      id: m.id,
      seq: m.seq,
      session_id: this.#log.meta('session_id') ?? '',
      user_id: m.sender_id,
      user_type: this.#userType(m.sender_id),
      name: m.sender_name,
      message: m.content,
      client_id: m.client_id,
      created_at: new Date(m.created_at).toISOString(),
    }
  }

  #frame(m: StoredMessage): string {
    return JSON.stringify({ type: 'new_message', data: this.#view(m) })
  }
}
