import { db } from '../worker/db/client'
import type { Env } from '../worker/env'
import { AppError, badRequest, forbidden, notFound, unauthorized, type ErrorCode } from '../worker/lib/errors'
import type { AuthIdentity } from '../worker/lib/identity'
import { newId } from '../worker/lib/ids'
import { iso } from '../worker/lib/time'
import type { RoomCommand } from '../worker/schemas/chat-frames'
import { memberRole } from '../worker/services/chat-members'
import { asAppError, Channel, type BaseAttachment, type ChannelLimits, type Connection } from './channel'
import { writeIndex } from './chat-index'
import { configuredLimits } from './limits'
import { WriteBatch } from './write-batch'
import { FrameBatches } from './frame-batches'
import { ChatLog, type StoredMessage } from './chat-log'
import * as frames from './protocols/json'

/** Per-socket state (attachment): who, which object it lives in, which chats it follows. */
export interface ChatAttachment extends BaseAttachment {
  user: AuthIdentity
  /** The chat whose object holds this socket (the `room_id` it connected with). */
  home: string
  /** Chats this socket currently receives: its home (until it leaves) and any it joined. */
  rooms: string[]
  /** `&batch=1`: frames are coalesced into JSON arrays. */
  batch: boolean
  /** `&batch_ms=<n>`: how long to collect frames before sending a batch (0 = end of turn). */
  batchMs: number
}

/** A message as the REST API returns it (SPEC §3 golden path). */
export interface ApiMessage {
  id: string
  seq: number
  chat_id: string
  sender: { id: string; name: string }
  content: string
  type: string
  reply_to: string | null
  client_id: string | null
  created_at: string
  edited_at: string | null
  deleted: boolean
  deleted_at: string | null
}

/** What room RPCs answer: errors travel as values, since RPC exceptions lose their code. */
export type RoomResult<T> =
  { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string; details?: unknown } }

/** A frame for the sockets of another object that follow this chat. */
interface Delivery {
  frame: string
  /** Not for this user's sockets (their own typing indicator). */
  except?: string
}

export type SendResult = { message: ApiMessage; duplicate: boolean }
type ExecuteResult = { row?: StoredMessage; duplicate?: boolean; seq?: number }

/** Most chats one connection may follow at once (keeps the attachment far below 2 KiB). */
export const MAX_ROOMS_PER_CONNECTION = 20
/** Most missed messages replayed on a resume; beyond that the client pages history over REST. */
export const REPLAY_LIMIT = 1000
const SAFETY_FLUSH_MS = 5_000
/** How long changes collect before they are copied to the D1 index. */
const INDEX_DELAY_MS = 50
const NO_OVERRIDES: Partial<ChannelLimits> = Object.freeze({})
const MAX_BACKOFF_MS = 60_000
const OUTBOX_BATCH = 90

/**
 * One chat (SPEC §5.1): the single writer of its ordered message log (SQLite storage), its
 * sockets (JSON protocol, SPEC §5.2), presence, typing, read state, and the outbox that keeps
 * the D1 index in step. Sockets of other chats' objects that `join_room` this chat are served
 * through their home object (`follow` / `deliver`): one RPC per home object and turn, not per socket.
 */
export class ChatRoom extends Channel<Env, ChatAttachment> {
  #log: ChatLog
  #homes: Set<string> | undefined
  #flushing = false
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  #flushFailures = 0
  #batches = new FrameBatches<Connection<ChatAttachment>>()
  #writes = new WriteBatch()
  #batchTimer: ReturnType<typeof setTimeout> | undefined
  #remote = new Map<string, { items: Delivery[]; chain: Promise<void>; scheduled: boolean }>()
  /** Frames held for sockets whose `join_room` of another chat awaits its replay (`<conn> <room>`). */
  #joining = new Map<string, string[]>()

  /** Test hook: limits that replace the configured ones for this instance. */
  limitOverrides: Partial<ChannelLimits> = NO_OVERRIDES
  /** How long a typing indicator lives without a new `typing_start` (ms). */
  typingTtlMs = 5_000
  /** Fan-out calls this object received from other chats (observability; tests count them). */
  deliveries = 0
  /** Test hook: the next n index flushes fail as if D1 were unavailable. */
  simulateIndexFailures = 0

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#log = new ChatLog(ctx.storage)
  }

  protected limits(): ChannelLimits {
    const limits = configuredLimits(this.env)
    return this.limitOverrides === NO_OVERRIDES ? limits : { ...limits, ...this.limitOverrides }
  }

  protected errorFrame(code: ErrorCode, message: string, extra?: Record<string, unknown>): string {
    // `content` repeats the message: seed 003's clients read errors from there.
    return JSON.stringify({ type: 'error', code, message, content: message, ...extra })
  }

  // ── Connections ────────────────────────────────────────────────────────────────────────

  protected onBeforeConnect(request: Request, user: AuthIdentity | undefined) {
    if (!user) throw unauthorized()
    const url = new URL(request.url)
    const room = url.searchParams.get('room_id')
    if (!room) throw badRequest('room_id is required')
    this.#bind(room)
    const batch = ['1', 'true'].includes(url.searchParams.get('batch') ?? '')
    const batchMs = Math.min(100, Math.max(0, Number(url.searchParams.get('batch_ms')) || 0))
    const who: AuthIdentity = { id: user.id, role: user.role, name: user.name.slice(0, 100) }
    if (user.email) who.email = user.email.slice(0, 200)
    return { user: who, home: room, rooms: [room], batch, batchMs }
  }

  protected onConnect(conn: Connection<ChatAttachment>, request: Request): void {
    const since = sinceParam(new URL(request.url).searchParams.get('since'))
    this.#enter(conn.state.user, (frame) => this.sendTo(conn, frame))
    if (since !== undefined) this.#replay(since, (frame) => this.sendTo(conn, frame))
  }

  protected async onClose(conn: Connection<ChatAttachment>): Promise<void> {
    for (const room of conn.state.rooms) {
      if (room === this.#chatId) this.#exit(conn.state.user)
      else await this.#unfollowRemote(room, conn.state.user).catch(() => undefined)
    }
  }

  protected async onMessage(conn: Connection<ChatAttachment>, raw: string | ArrayBuffer): Promise<void> {
    await this.#handle(conn, frames.parseFrame(raw))
  }

  protected errorRefs(raw: string | ArrayBuffer): Record<string, unknown> {
    return frames.frameRefs(raw)
  }

  async #handle(conn: Connection<ChatAttachment>, cmd: RoomCommand): Promise<void> {
    if (cmd.type === 'join_room') return this.#join(conn, cmd.room_id, cmd.since)
    if (cmd.type === 'leave_room') return this.#leave(conn, cmd.room_id)
    if (!conn.state.rooms.includes(cmd.room_id)) throw forbidden('You must join the room first')
    const user = conn.state.user
    if (cmd.room_id === this.#chatId) {
      const { row, duplicate } = await this.#execute(user, cmd)
      if (cmd.type === 'send_message' && row)
        this.sendTo(
          conn,
          frames.ackFrame(
            cmd.room_id,
            { id: row.id, seq: row.seq, client_id: row.client_id, created_at: iso(row.created_at) },
            !!duplicate,
          ),
        )
      return
    }
    const result = unwrap(await chatRoom(this.env, cmd.room_id).command(cmd.room_id, user, cmd))
    if (cmd.type === 'send_message') {
      const { message, duplicate } = result as SendResult
      this.sendTo(conn, frames.ackFrame(cmd.room_id, message, duplicate))
    }
  }

  async #join(conn: Connection<ChatAttachment>, room: string, since: number | undefined): Promise<void> {
    const state = conn.state
    const send = (frame: string) => this.sendTo(conn, frame)
    if (state.rooms.includes(room)) {
      send(frames.presenceFrame('user_joined', room, state.user))
      if (since !== undefined) {
        if (room === this.#chatId) this.#replay(since, send)
        else for (const f of unwrap(await chatRoom(this.env, room).replay(room, since))) send(f)
      }
      return
    }
    if (state.rooms.length >= MAX_ROOMS_PER_CONNECTION)
      throw badRequest(`A connection may follow at most ${MAX_ROOMS_PER_CONNECTION} rooms`)
    this.saveState(conn, { ...state, rooms: [...state.rooms, room] })
    if (room === this.#chatId) {
      this.#enter(state.user, send)
      if (since !== undefined) this.#replay(since, send)
      return
    }
    // Another chat: its object checks membership and replays; its events then reach this
    // socket through this object (deliver). Deliveries that overtake the replay are held back.
    const key = `${conn.id} ${room}`
    this.#joining.set(key, [])
    let result: RoomResult<string[]> | undefined
    try {
      result = await chatRoom(this.env, room).follow(room, this.#chatId, state.user, since)
    } finally {
      const held = this.#joining.get(key) ?? []
      this.#joining.delete(key)
      if (!result?.ok)
        this.saveState(conn, { ...conn.state, rooms: conn.state.rooms.filter((r) => r !== room) })
      else for (const f of [...result.value, ...held]) send(f)
    }
    unwrap(result)
  }

  async #leave(conn: Connection<ChatAttachment>, room: string): Promise<void> {
    const state = conn.state
    if (!state.rooms.includes(room)) throw badRequest(`You are not in room ${room}`)
    this.saveState(conn, { ...state, rooms: state.rooms.filter((r) => r !== room) })
    this.sendTo(conn, frames.presenceFrame('user_left', room, state.user))
    if (room === this.#chatId) this.#exit(state.user)
    else await this.#unfollowRemote(room, state.user)
  }

  /** Announces a user's arrival when it is their first connection in this chat; confirms to the joiner. */
  #enter(user: AuthIdentity, confirm: (frame: string) => void): void {
    const chat = this.#chatId
    if (this.#presence(user.id) === 1) {
      this.#emit(frames.presenceFrame('user_joined', chat, user))
      this.#emit(frames.statusFrame(chat, user, 'online'))
    } else confirm(frames.presenceFrame('user_joined', chat, user))
  }

  /** Announces a user's departure once their last connection in this chat is gone. */
  #exit(user: AuthIdentity): void {
    if (this.#presence(user.id) > 0) return
    const chat = this.#chatId
    this.#emit(frames.presenceFrame('user_left', chat, user))
    this.#emit(frames.statusFrame(chat, user, 'offline'))
    if (this.#log.stopTyping(user.id)) this.#emit(frames.typingFrame(chat, user, false), user.id)
  }

  /** Connections (here and in following objects) through which `userId` is in this chat. */
  #presence(userId: string): number {
    let n = 0
    for (const c of this.connections())
      if (c.state.user.id === userId && c.state.rooms.includes(this.#chatId)) n++
    return n + this.#log.remoteConns(userId)
  }

  #replay(since: number, send: (frame: string) => void): void {
    for (const frame of this.#replayFrames(since)) send(frame)
  }

  #replayFrames(since: number): string[] {
    const chat = this.#chatId
    const rows = this.#log.after(since, REPLAY_LIMIT + 1)
    const out = rows.slice(0, REPLAY_LIMIT).map((m) => frames.newMessageFrame(chat, m))
    if (rows.length > REPLAY_LIMIT) {
      const next = rows[REPLAY_LIMIT - 1].seq
      out.push(
        this.errorFrame(
          'conflict',
          `More than ${REPLAY_LIMIT} missed messages; page the rest with GET /api/v1/chats/${chat}/messages`,
          { room_id: chat, next_since: next },
        ),
      )
    }
    return out
  }

  // ── Commands (from local sockets, following objects and REST alike) ────────────────────

  async #execute(user: AuthIdentity, cmd: RoomCommand): Promise<ExecuteResult> {
    const chat = this.#chatId
    const pending = cmd.type === 'send_message' ? undefined : this.#writes.idle
    if (pending) await pending
    const now = Date.now()
    switch (cmd.type) {
      case 'send_message':
        return this.#writes.run(() => this.#send(user, cmd))
      case 'edit_message': {
        const m = this.#message(cmd.message_id)
        if (m.sender_id !== user.id) throw forbidden('Only the sender may edit a message')
        this.#log.edit(m.seq, cmd.content, now)
        const row = this.#log.bySeq(m.seq)!
        this.#emit(frames.editedFrame(chat, row))
        this.#indexChanged(now)
        return { row }
      }
      case 'delete_message': {
        const m = this.#log.byId(cmd.message_id)
        if (!m) throw notFound('Message')
        if (m.deleted_at !== null) return { row: m }
        if (m.sender_id !== user.id) {
          const role = await memberRole(db(this.env.DB), chat, user.id)
          if (role !== 'owner' && role !== 'admin')
            throw forbidden('Only the sender or a chat owner or admin may delete a message')
        }
        this.#log.remove(m.seq, now)
        const row = this.#log.bySeq(m.seq)!
        this.#emit(frames.deletedFrame(chat, row, user))
        this.#indexChanged(now)
        return { row }
      }
      case 'mark_read': {
        const { seq, moved } = this.#log.markRead(user.id, Math.min(cmd.seq, this.#log.lastSeq), now)
        if (moved) {
          this.#emit(frames.readFrame(chat, user, seq))
          this.#indexChanged(now)
        }
        return { seq }
      }
      case 'typing_start': {
        const was = this.#log.stopTyping(user.id)
        this.#log.startTyping(user.id, user.name, now + this.typingTtlMs)
        this.scheduleAlarm(now + this.typingTtlMs)
        if (!was) this.#emit(frames.typingFrame(chat, user, true), user.id)
        return {}
      }
      case 'typing_stop': {
        if (this.#log.stopTyping(user.id)) this.#emit(frames.typingFrame(chat, user, false), user.id)
        return {}
      }
      default:
        throw badRequest(`${cmd.type} is not a room command`)
    }
  }

  /** Stores a message (or finds its first copy) and tells the room; runs in a write batch. */
  #send(user: AuthIdentity, cmd: Extract<RoomCommand, { type: 'send_message' }>): ExecuteResult {
    const chat = this.#chatId
    const now = Date.now()
    if (cmd.reply_to && !this.#log.byId(cmd.reply_to)) {
      // A repeated send is acknowledged as such even if its replied-to message is gone.
      const first = cmd.client_id ? this.#log.byClientId(user.id, cmd.client_id) : undefined
      if (first) return { row: first, duplicate: true }
      throw notFound('Replied-to message')
    }
    const { row, created } = this.#log.append({
      id: newId(),
      sender_id: user.id,
      sender_name: user.name,
      sender_email: user.email ?? null,
      content: cmd.content,
      type: 'text',
      reply_to: cmd.reply_to ?? null,
      client_id: cmd.client_id ?? null,
      created_at: now,
    })
    if (!created) return { row, duplicate: true }
    this.#log.stopTyping(user.id)
    this.#emit(frames.newMessageFrame(chat, row))
    this.#indexChanged(now)
    return { row, duplicate: false }
  }

  #message(id: string): StoredMessage {
    const m = this.#log.byId(id)
    if (!m) throw notFound('Message')
    if (m.deleted_at !== null) throw new AppError('conflict', 'Message was deleted')
    return m
  }

  /** Sends one encoded frame to this chat's sockets here and, once per object, to followers elsewhere. */
  #emit(frame: string, except?: string): void {
    const chat = this.#chatId
    this.broadcast(frame, (c) => c.state.rooms.includes(chat) && c.state.user.id !== except)
    for (const home of this.#followerHomes()) this.#queueRemote(home, { frame, except })
  }

  // ── RPC: the Worker (REST) and other chats' objects ────────────────────────────────────

  /** Runs a room command for `user` (a verified member) — REST sends and sockets homed elsewhere. */
  async command(chatId: string, user: AuthIdentity, cmd: RoomCommand): Promise<RoomResult<unknown>> {
    return this.#rpc(chatId, async () => this.#commandValue(chatId, await this.#execute(user, cmd)))
  }

  /** What a command answers: messages in the REST shape, `{message, duplicate}` for sends. */
  #commandValue(chatId: string, out: ExecuteResult): unknown {
    if (!out.row) return out
    return out.duplicate === undefined
      ? apiMessage(chatId, out.row)
      : { message: apiMessage(chatId, out.row), duplicate: out.duplicate }
  }

  /** Sends a message (REST): the same path as a socket's `send_message`. */
  async send(
    chatId: string,
    user: AuthIdentity,
    body: { content: string; client_id?: string; reply_to?: string },
  ): Promise<RoomResult<SendResult>> {
    return this.command(chatId, user, { type: 'send_message', room_id: chatId, ...body }) as Promise<
      RoomResult<SendResult>
    >
  }

  /** History from the authoritative log: newest first, `before` a seq, or oldest first `after` a seq. */
  async history(
    chatId: string,
    q: { before?: number; after?: number; limit: number },
  ): Promise<RoomResult<{ messages: ApiMessage[]; next_before: number | null; last_seq: number }>> {
    return this.#rpc(chatId, () => {
      const rows =
        q.after !== undefined ? this.#log.after(q.after, q.limit) : this.#log.page(q.before, q.limit)
      const oldest = q.after === undefined ? rows.at(-1) : undefined
      return {
        messages: rows.map((m) => apiMessage(chatId, m)),
        next_before: oldest && rows.length === q.limit && oldest.seq > 1 ? oldest.seq : null,
        last_seq: this.#log.lastSeq,
      }
    })
  }

  /** One message by id. */
  async message(chatId: string, id: string): Promise<RoomResult<ApiMessage>> {
    return this.#rpc(chatId, () => {
      const m = this.#log.byId(id)
      if (!m) throw notFound('Message')
      return apiMessage(chatId, m)
    })
  }

  /** A user's read pointer and the chat's newest seq. */
  async readState(
    chatId: string,
    userId: string,
  ): Promise<RoomResult<{ last_read_seq: number; last_seq: number }>> {
    return this.#rpc(chatId, () => ({
      last_read_seq: this.#log.readSeq(userId),
      last_seq: this.#log.lastSeq,
    }))
  }

  /** New-message frames after `since` (for a socket homed elsewhere re-joining with `since`). */
  async replay(chatId: string, since: number): Promise<RoomResult<string[]>> {
    return this.#rpc(chatId, () => this.#replayFrames(since))
  }

  /**
   * A socket in object `home` joins this chat: checks membership, counts it for presence and
   * answers the frames it should see first (its join confirmation, then what it missed).
   */
  async follow(
    chatId: string,
    home: string,
    user: AuthIdentity,
    since?: number,
  ): Promise<RoomResult<string[]>> {
    return this.#rpc(chatId, async () => {
      if (!(await memberRole(db(this.env.DB), chatId, user.id)))
        throw forbidden('You are not a member of this chat')
      this.admitConnection()
      this.#log.follow(home, user.id)
      this.#followerHomes().add(home)
      const out: string[] = []
      this.#enter(user, (f) => out.push(f))
      if (since !== undefined) out.push(...this.#replayFrames(since))
      return out
    })
  }

  /** Sockets of other chats' objects following this chat count toward its connection limit. */
  protected remoteConnections(): number {
    return this.#log.totalRemoteConns()
  }

  /** A socket in object `home` left this chat (or closed). */
  async unfollow(chatId: string, home: string, user: AuthIdentity): Promise<RoomResult<null>> {
    return this.#rpc(chatId, () => {
      this.#log.unfollow(home, user.id)
      this.#homes = undefined
      this.#exit(user)
      return null
    })
  }

  /** Frames from chat `from` for this object's sockets that follow it; answers how many follow it. */
  async deliver(home: string, from: string, items: Delivery[]): Promise<number> {
    this.#bind(home)
    this.deliveries++
    let followers = 0
    for (const c of this.connections()) {
      if (!c.state.rooms.includes(from)) continue
      followers++
      const held = this.#joining.get(`${c.id} ${from}`)
      for (const item of items) {
        if (item.except === c.state.user.id) continue
        if (held) held.push(item.frame)
        else this.sendTo(c, item.frame)
      }
    }
    return followers
  }

  /** A member was removed from the chat: their sockets stop receiving it, here and elsewhere. */
  async memberRemoved(chatId: string, userId: string): Promise<RoomResult<null>> {
    return this.#rpc(chatId, async () => {
      for (const c of this.connections()) {
        if (c.state.user.id !== userId || !c.state.rooms.includes(chatId)) continue
        this.saveState(c, { ...c.state, rooms: c.state.rooms.filter((r) => r !== chatId) })
        this.sendTo(
          c,
          this.errorFrame('forbidden', 'You are no longer a member of this chat', { room_id: chatId }),
        )
      }
      for (const home of this.#log.dropFollower(userId)) {
        await chatRoom(this.env, home).revoke(home, chatId, userId)
      }
      this.#homes = undefined
      return null
    })
  }

  /** `PUT /api/v1/users/status`: the status a member chose reaches everyone in this chat. */
  async userStatus(
    chatId: string,
    user: AuthIdentity,
    status: frames.MemberStatus,
  ): Promise<RoomResult<null>> {
    return this.#rpc(chatId, () => {
      this.#emit(frames.statusFrame(chatId, user, status))
      return null
    })
  }

  /** Chat `from` removed `userId`: this object's sockets of that user stop following it. */
  async revoke(home: string, from: string, userId: string): Promise<void> {
    this.#bind(home)
    for (const c of this.connections()) {
      if (c.state.user.id !== userId || !c.state.rooms.includes(from)) continue
      this.saveState(c, { ...c.state, rooms: c.state.rooms.filter((r) => r !== from) })
      this.sendTo(
        c,
        this.errorFrame('forbidden', 'You are no longer a member of this chat', { room_id: from }),
      )
    }
  }

  /** Copies pending changes to the D1 index now; answers how many remain (0 when drained). */
  async flushIndex(): Promise<number> {
    await this.#flushIndex()
    return this.#log.pendingIndexSize()
  }

  // ── Alarm: typing expiry and the D1 index outbox ───────────────────────────────────────

  protected async onAlarm(): Promise<void> {
    const now = Date.now()
    const chat = this.#chatId
    if (chat) {
      for (const t of this.#log.expireTyping(now))
        this.#emit(frames.typingFrame(chat, { id: t.user_id, name: t.name }, false), t.user_id)
    }
    await this.#flushIndex()
    const nextTyping = this.#log.nextTypingExpiry()
    if (nextTyping !== undefined) this.scheduleAlarm(nextTyping)
    if (this.#log.pendingIndexSize() > 0) this.scheduleAlarm(now + this.#backoff())
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────

  /** This chat's id: the object's name. */
  get #chatId(): string {
    return this.name
  }

  /** Refuses a call meant for another chat's object. */
  #bind(chatId: string): void {
    if (chatId !== this.name) throw new AppError('bad_request', 'Wrong room for this object')
  }

  async #rpc<T>(chatId: string, fn: () => T | Promise<T>): Promise<RoomResult<T>> {
    try {
      this.#bind(chatId)
      return { ok: true, value: await fn() }
    } catch (err) {
      const e = asAppError(err)
      if (e.code === 'internal_error') this.log('error', 'chat-rpc', { error: err })
      return {
        ok: false,
        error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
      }
    }
  }

  #followerHomes(): Set<string> {
    this.#homes ??= new Set(this.#log.followerHomes())
    return this.#homes
  }

  #queueRemote(home: string, item: Delivery): void {
    let q = this.#remote.get(home)
    if (!q) this.#remote.set(home, (q = { items: [], chain: Promise.resolve(), scheduled: false }))
    q.items.push(item)
    if (q.scheduled) return
    q.scheduled = true
    const queue = q
    // One RPC per home object per turn, chained so that they arrive in order.
    q.chain = q.chain.then(async () => {
      queue.scheduled = false
      const items = queue.items.splice(0)
      try {
        const followers = await chatRoom(this.env, home).deliver(home, this.#chatId, items)
        if (followers === 0) {
          this.#log.dropHome(home)
          this.#homes = undefined
        }
      } catch (err) {
        this.log('error', 'chat-deliver', { home, error: err })
      }
    })
  }

  /**
   * A change is pending for the D1 index: flush it shortly (changes of the next INDEX_DELAY_MS
   * share one D1 round trip; a flush under way picks them up itself), with an alarm as the
   * safety net across eviction.
   */
  #indexChanged(now: number): void {
    this.scheduleAlarm(now + SAFETY_FLUSH_MS)
    if (this.#flushing || this.#flushTimer) return
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined
      void this.#flushIndex()
    }, INDEX_DELAY_MS)
  }

  async #flushIndex(): Promise<void> {
    const chat = this.#chatId
    if (this.#flushing || !chat) return
    this.#flushing = true
    try {
      for (;;) {
        const batch = this.#log.pendingIndex(OUTBOX_BATCH)
        if (batch.empty) break
        if (this.simulateIndexFailures > 0) {
          this.simulateIndexFailures--
          throw new Error('simulated D1 failure')
        }
        await writeIndex(this.env.DB, chat, batch)
        this.#log.indexed(batch)
      }
      this.#flushFailures = 0
    } catch (err) {
      this.#flushFailures++
      this.log('warn', 'chat-index', { chat, attempt: this.#flushFailures, error: err })
      this.scheduleAlarm(Date.now() + this.#backoff())
    } finally {
      this.#flushing = false
    }
  }

  #backoff(): number {
    return Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.max(0, this.#flushFailures - 1))
  }

  // ── Batched frames (opt-in per socket) ─────────────────────────────────────────────────

  protected sendTo(conn: Connection<ChatAttachment>, data: string | ArrayBuffer | ArrayBufferView): void {
    if (!conn.state.batch || typeof data !== 'string') return super.sendTo(conn, data)
    this.#batches.push(conn, data)
    this.#batchTimer ??= setTimeout(() => this.#sendBatches(), conn.state.batchMs)
  }

  #sendBatches(): void {
    this.#batchTimer = undefined
    // A batch is split so that no frame passes BATCH_MAX_CHARS (one ~400 KB frame closed every
    // socket of a room in the benchmarks).
    for (const [conn, frames] of this.#batches.drain()) for (const frame of frames) super.sendTo(conn, frame)
  }

  async #unfollowRemote(room: string, user: AuthIdentity): Promise<void> {
    await chatRoom(this.env, room).unfollow(room, this.#chatId, user)
  }
}

/** The stub of a chat's object (one per chat id). */
export function chatRoom(env: Env, chatId: string): DurableObjectStub<ChatRoom> {
  return env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId))
}

/** Returns a room RPC's value or throws its error as an AppError. */
export function unwrap<T>(result: RoomResult<T>): T {
  if (result.ok) return result.value
  throw new AppError(result.error.code, result.error.message, result.error.details)
}

/** A stored message in the REST shape. */
export function apiMessage(chatId: string, m: StoredMessage): ApiMessage {
  return {
    id: m.id,
    seq: m.seq,
    chat_id: chatId,
    sender: { id: m.sender_id, name: m.sender_name },
    content: m.content,
    type: m.type,
    reply_to: m.reply_to,
    client_id: m.client_id,
    created_at: iso(m.created_at),
    edited_at: iso(m.edited_at),
    deleted: m.deleted_at !== null,
    deleted_at: iso(m.deleted_at),
  }
}

function sinceParam(v: string | null): number | undefined {
  if (v === null || v === '') return undefined
  const n = Number(v)
  return Number.isInteger(n) && n >= 0 ? n : undefined
}
