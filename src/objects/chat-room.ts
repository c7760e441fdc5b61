import { db } from '../worker/db/client'
import type { Env } from '../worker/env'
import { AppError, badRequest, forbidden, notFound, unauthorized, type ErrorCode } from '../worker/lib/errors'
import type { AuthIdentity } from '../worker/lib/identity'
import { iso } from '../worker/lib/time'
import type { SendMessageRequest } from '../worker/schemas/chats'
import { memberRole } from '../worker/services/chat-members'
import { messageAttachments } from '../worker/services/files'
import { asAppError, Channel, type BaseAttachment, type ChannelLimits, type Connection } from './channel'
import { FanOut } from './fanout'
import { FrameBatches } from './frame-batches'
import { configuredLimits, roomOptions } from './limits'
import * as json from './protocols/json'
import { MessageRoom } from './room/core'
import { IndexMirror, writeIndex } from './room/d1-index'
import { exceptUser, type RoomDetails, type RoomEvent } from './room/events'
import type { Attachment } from './room/commands'
import { filesOf, type IndexBatch, type StoredMessage } from './room/log'
import { roomWebhooks } from './room/webhooks'

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
  files: Attachment[]
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
  /** The chat was deleted: after this frame its followers stop following it. */
  ends?: boolean
}

export type SendResult = { message: ApiMessage; duplicate: boolean }

/** The fan-out topic of a chat's object (it publishes one: itself). */
const CHAT = 'chat'

/** Most chats one connection may follow at once (keeps the attachment far below 2 KiB). */
export const MAX_ROOMS_PER_CONNECTION = 20

/**
 * One chat (SPEC §5.1): its ordered message room (the core, room/core.ts, in SQLite storage) in
 * the JSON protocol (SPEC §5.2, protocols/json.ts), its sockets, and the mirror that keeps the D1
 * index in step. This class only connects sockets to the core: parse → core → encode. Sockets of
 * other chats' objects that `join_room` this chat are served through their home object
 * (`follow` / `deliver`, over the fan-out module ./fanout.ts): one RPC per home object and turn,
 * not per socket.
 */
export class ChatRoom extends Channel<Env, ChatAttachment> {
  protected room: MessageRoom
  #index: IndexMirror
  #fanout: FanOut<Delivery>
  #batches = new FrameBatches<Connection<ChatAttachment>>()
  #batchTimer: ReturnType<typeof setTimeout> | undefined
  /** Frames held for sockets whose `join_room` of another chat awaits its replay (`<conn> <room>`). */
  #joining = new Map<string, string[]>()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#fanout = this.#openFanOut()
    this.room = this.#openRoom()
    this.#index = this.#openIndex()
  }

  // The object's storage users, built when it wakes and again once a deleted chat's storage is erased.

  #openFanOut(): FanOut<Delivery> {
    return new FanOut<Delivery>(this.ctx.storage.sql, {
      send: (home, _topic, items) => chatRoom(this.env, home).deliver(home, this.name, items),
      legacy: {
        table: 'followers',
        copy: `INSERT OR IGNORE INTO fanout_followers (topic, home, member, conns)
          SELECT '${CHAT}', home, user_id, conns FROM followers`,
      },
    })
  }

  #openRoom(): MessageRoom {
    return new MessageRoom(
      this.ctx.storage,
      {
        emit: (e) => this.#emit(e),
        scheduleAlarm: (at) => this.scheduleAlarm(at),
        localConnections: (userId) => this.#localConnections(userId),
        remoteConnections: (userId) => this.#fanout.connections(CHAT, userId),
        indexChanged: (at) => this.#index.changed(at),
        mayModerate: async (userId) => {
          const role = await memberRole(db(this.env.DB), this.name, userId)
          return role === 'owner' || role === 'admin'
        },
        // The sender is a member (checked before the socket opened or the REST call arrived).
        attachments: (_actor, ids) => messageAttachments(db(this.env.DB), ids, { chatId: this.name }),
        observers: [
          roomWebhooks(this.ctx, this.env, {
            kind: 'chat',
            id: () => this.name,
            scheduleAlarm: (at) => this.scheduleAlarm(at),
          }),
          { committed: (messages) => this.countMessages(messages.length) },
        ],
      },
      roomOptions(this.env, { index: true }),
    )
  }

  #openIndex(): IndexMirror {
    return new IndexMirror(this.room.log, {
      write: (batch) => this.writeIndex(batch),
      scheduleAlarm: (at) => this.scheduleAlarm(at),
      warn: (fields) => this.log('warn', 'chat-index', { chat: this.name, ...fields }),
    })
  }

  protected limits(): ChannelLimits {
    return configuredLimits(this.env)
  }

  protected metricsOf() {
    return { kind: 'chat', protocol: 'json' } as const
  }

  /** A user's home object (`~user:…`) holds sockets but no chat. */
  protected openRooms(): number {
    return isUserHome(this.name) ? 0 : super.openRooms()
  }

  protected errorFrame(code: ErrorCode, message: string, extra?: Record<string, unknown>): string {
    return json.errorFrame(code, message, extra)
  }

  /** Copies one run of changes to the D1 index. */
  protected writeIndex(batch: IndexBatch): Promise<void> {
    return writeIndex(this.env.DB, this.name, batch)
  }

  // ── Connections ────────────────────────────────────────────────────────────────────────

  /**
   * A socket opened with `room_id` lives in that chat's object and is in the chat at once. One
   * opened with only a token (seed 003's client) lives in its user's home object
   * (`userHome`), in no chat until it sends `join_room`.
   */
  protected onBeforeConnect(request: Request, user: AuthIdentity | undefined) {
    if (!user) throw unauthorized()
    const url = new URL(request.url)
    const room = url.searchParams.get('room_id')
    const home = room ?? userHome(user.id)
    this.#bind(home)
    this.#assertExists()
    const batch = ['1', 'true'].includes(url.searchParams.get('batch') ?? '')
    const batchMs = Math.min(100, Math.max(0, Number(url.searchParams.get('batch_ms')) || 0))
    const who: AuthIdentity = { id: user.id, role: user.role, name: user.name.slice(0, 100) }
    if (user.email) who.email = user.email.slice(0, 200)
    return { user: who, home, rooms: room ? [room] : [], batch, batchMs }
  }

  protected onConnect(conn: Connection<ChatAttachment>, request: Request): void {
    if (!conn.state.rooms.includes(this.name)) return
    const since = sinceParam(new URL(request.url).searchParams.get('since'))
    const send = (frame: string) => this.sendTo(conn, frame)
    this.#enter(conn.state.user, send)
    if (since !== undefined) this.#replay(since).forEach(send)
  }

  protected async onClose(conn: Connection<ChatAttachment>): Promise<void> {
    if (this.#deleted()) return
    for (const room of conn.state.rooms) {
      if (room === this.name) this.room.departed(conn.state.user)
      else await this.#unfollowRemote(room, conn.state.user).catch(() => undefined)
    }
  }

  protected async onMessage(conn: Connection<ChatAttachment>, raw: string | ArrayBuffer): Promise<void> {
    const frame = json.parseFrame(raw)
    if (frame.type === 'join_room') return this.#join(conn, frame.room_id, frame.since)
    if (frame.type === 'leave_room') return this.#leave(conn, frame.room_id)
    if (!conn.state.rooms.includes(frame.room_id)) throw forbidden('You must join the room first')
    const user = conn.state.user
    if (frame.room_id === this.name) {
      const cmd = json.toCommand(frame)
      if (cmd.type === 'send') this.sendTo(conn, json.sendAck(this.name, await this.room.execute(user, cmd)))
      else await this.room.execute(user, cmd)
      return
    }
    const result = unwrap(await chatRoom(this.env, frame.room_id).command(frame.room_id, user, frame))
    if (frame.type === 'send_message') {
      const { message, duplicate } = result as SendResult
      this.sendTo(conn, json.ackFrame(frame.room_id, message, duplicate))
    }
  }

  protected errorRefs(raw: string | ArrayBuffer): Record<string, unknown> {
    return json.frameRefs(raw)
  }

  async #join(conn: Connection<ChatAttachment>, room: string, since: number | undefined): Promise<void> {
    const state = conn.state
    const send = (frame: string) => this.sendTo(conn, frame)
    if (state.rooms.includes(room)) {
      send(json.presenceFrame('user_joined', room, state.user))
      if (since !== undefined) {
        if (room === this.name) this.#replay(since).forEach(send)
        else for (const f of unwrap(await chatRoom(this.env, room).replay(room, since))) send(f)
      }
      return
    }
    if (state.rooms.length >= MAX_ROOMS_PER_CONNECTION)
      throw badRequest(`A connection may follow at most ${MAX_ROOMS_PER_CONNECTION} rooms`)
    // A user's home object holds sockets, never a chat.
    if (room === this.name && isUserHome(room)) throw notFound('Chat')
    this.saveState(conn, { ...state, rooms: [...state.rooms, room] })
    if (room === this.name) {
      this.#enter(state.user, send)
      if (since !== undefined) this.#replay(since).forEach(send)
      return
    }
    // Another chat: its object checks membership and replays; its events then reach this
    // socket through this object (deliver). Deliveries that overtake the replay are held back.
    const key = `${conn.id} ${room}`
    this.#joining.set(key, [])
    let result: RoomResult<string[]> | undefined
    try {
      result = await chatRoom(this.env, room).follow(room, this.name, state.user, since)
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
    this.sendTo(conn, json.presenceFrame('user_left', room, state.user))
    if (room === this.name) this.room.departed(state.user)
    else await this.#unfollowRemote(room, state.user)
  }

  /**
   * A connection of `user` entered the chat (already counted): the room announces a first
   * arrival to everyone; a further connection of the same user only has its join confirmed.
   */
  #enter(user: AuthIdentity, confirm: (frame: string) => void): void {
    this.room.arrived(user)
    if (this.room.connectionsOf(user.id) > 1) confirm(json.presenceFrame('user_joined', this.name, user))
  }

  #replay(since: number): string[] {
    return json.encodeReplay(this.name, this.room.replay(since))
  }

  /** Connections in this object through which `userId` is in this chat. */
  #localConnections(userId: string): number {
    let n = 0
    for (const c of this.connections())
      if (c.state.user.id === userId && c.state.rooms.includes(this.name)) n++
    return n
  }

  /** Encodes a room event once and sends it to this chat's sockets here and, once per object, elsewhere. */
  #emit(e: RoomEvent): void {
    const except = exceptUser(e)
    const ends = e.type === 'room_deleted'
    for (const frame of json.encodeEvent(this.name, e)) this.#broadcastChat(frame, except, ends)
  }

  #broadcastChat(frame: string, except?: string, ends = false): void {
    const chat = this.name
    this.broadcast(frame, (c) => c.state.rooms.includes(chat) && c.state.user.id !== except)
    this.#fanout.publish(CHAT, {
      frame,
      ...(except !== undefined ? { except } : {}),
      ...(ends ? { ends } : {}),
    })
  }

  // ── RPC: the Worker (REST) and other chats' objects ────────────────────────────────────

  /** Runs a chat command for `user` (a verified member) — REST and sockets homed elsewhere. */
  async command(chatId: string, user: AuthIdentity, frame: json.ChatFrame): Promise<RoomResult<unknown>> {
    return this.#rpc(chatId, async () => {
      const out = await this.room.execute(user, json.toCommand(frame))
      if ('duplicate' in out) return { message: apiMessage(chatId, out.message), duplicate: out.duplicate }
      if ('message' in out) return apiMessage(chatId, out.message)
      return out
    })
  }

  /** Sends a message (REST): the same path as a socket's `send_message`. */
  async send(chatId: string, user: AuthIdentity, body: SendMessageRequest): Promise<RoomResult<SendResult>> {
    const { type, ...rest } = body
    const frame = {
      type: 'send_message' as const,
      room_id: chatId,
      ...rest,
      ...(type ? { message_type: type } : {}),
    }
    return this.command(chatId, user, frame) as Promise<RoomResult<SendResult>>
  }

  /** History from the authoritative log: newest first, `before` a seq, or oldest first `after` a seq. */
  async history(
    chatId: string,
    q: { before?: number; after?: number; limit: number },
  ): Promise<RoomResult<{ messages: ApiMessage[]; next_before: number | null; last_seq: number }>> {
    return this.#rpc(chatId, () => {
      const log = this.room.log
      const rows = q.after !== undefined ? log.after(q.after, q.limit) : log.page(q.before, q.limit)
      const oldest = q.after === undefined ? rows.at(-1) : undefined
      return {
        messages: rows.map((m) => apiMessage(chatId, m)),
        next_before: oldest && rows.length === q.limit && oldest.seq > 1 ? oldest.seq : null,
        last_seq: log.lastSeq,
      }
    })
  }

  /** One message by id. */
  async message(chatId: string, id: string): Promise<RoomResult<ApiMessage>> {
    return this.#rpc(chatId, () => {
      const m = this.room.log.byId(id)
      if (!m) throw notFound('Message')
      return apiMessage(chatId, m)
    })
  }

  /**
   * Who is connected to the chat now — sockets here and sockets of other chats' objects that
   * follow it — with each user's connection count, and the newest seq.
   */
  async status(
    chatId: string,
  ): Promise<RoomResult<{ last_seq: number; users: { user_id: string; connections: number }[] }>> {
    return this.#rpc(chatId, () => {
      const counts = new Map<string, number>()
      for (const c of this.connections())
        if (c.state.rooms.includes(chatId))
          counts.set(c.state.user.id, (counts.get(c.state.user.id) ?? 0) + 1)
      for (const r of this.#fanout.members(CHAT)) counts.set(r.member, (counts.get(r.member) ?? 0) + r.conns)
      return {
        last_seq: this.room.lastSeq,
        users: [...counts].map(([user_id, connections]) => ({ user_id, connections })),
      }
    })
  }

  /** A user's read pointer and the chat's newest seq. */
  async readState(
    chatId: string,
    userId: string,
  ): Promise<RoomResult<{ last_read_seq: number; last_seq: number }>> {
    return this.#rpc(chatId, () => ({
      last_read_seq: this.room.log.readSeq(userId),
      last_seq: this.room.lastSeq,
    }))
  }

  /** New-message frames after `since` (for a socket homed elsewhere re-joining with `since`). */
  async replay(chatId: string, since: number): Promise<RoomResult<string[]>> {
    return this.#rpc(chatId, () => this.#replay(since))
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
      this.#fanout.follow(CHAT, home, user.id)
      const out: string[] = []
      this.#enter(user, (f) => out.push(f))
      if (since !== undefined) out.push(...this.#replay(since))
      return out
    })
  }

  /** Sockets of other chats' objects following this chat count toward its connection limit. */
  protected remoteConnections(): number {
    return this.#fanout.connections(CHAT)
  }

  /** A socket in object `home` left this chat (or closed). */
  async unfollow(chatId: string, home: string, user: AuthIdentity): Promise<RoomResult<null>> {
    return this.#rpc(chatId, () => {
      this.#fanout.unfollow(CHAT, home, user.id)
      this.room.departed(user)
      return null
    })
  }

  /**
   * Frames from chat `from` for this object's sockets that follow it; answers how many follow it.
   * After a frame that `ends` the chat (it was deleted) they follow it no more.
   */
  async deliver(home: string, from: string, items: Delivery[]): Promise<number> {
    this.#bind(home)
    let followers = 0
    for (const c of this.connections()) {
      if (!c.state.rooms.includes(from)) continue
      followers++
      const held = this.#joining.get(`${c.id} ${from}`)
      for (const item of items) {
        if (item.except === c.state.user.id) continue
        if (held) held.push(item.frame)
        else this.sendTo(c, item.frame)
        if (item.ends) this.saveState(c, { ...c.state, rooms: c.state.rooms.filter((r) => r !== from) })
      }
    }
    return followers
  }

  /** `PUT /api/v1/chats/:id`: the chat's new details reach everyone in it (`chat_updated`). */
  async chatUpdated(chatId: string, by: AuthIdentity, details: RoomDetails): Promise<RoomResult<null>> {
    return this.#rpc(chatId, () => {
      this.room.updated(by, details)
      return null
    })
  }

  /**
   * `DELETE /api/v1/chats/:id`: everyone in the chat gets `chat_deleted` (sockets that follow it
   * from other chats' objects stop following it), the sockets in the chat here are closed, and
   * the object's storage (history, read pointers, typing, followers, index outbox) is erased.
   * What remains is a marker that answers 404 to anything later. Idempotent: the Worker may retry.
   */
  async deleteChat(chatId: string, by: AuthIdentity): Promise<RoomResult<null>> {
    return this.#rpc(
      chatId,
      async () => {
        if (this.#deleted()) return null
        // Queued for every following object before the storage goes (the fan-out keeps its queue).
        await this.room.deleted(by)
        for (const c of this.connections())
          if (c.state.rooms.includes(this.name)) this.disconnect(c, 1000, 'chat deleted')
        await this.eraseStorage()
        this.#fanout = this.#openFanOut()
        this.room = this.#openRoom()
        this.#index = this.#openIndex()
        this.room.log.setMeta('deleted', String(Date.now()))
        return null
      },
      true,
    )
  }

  /** A member was removed from the chat: their sockets stop receiving it, here and elsewhere. */
  async memberRemoved(chatId: string, userId: string): Promise<RoomResult<null>> {
    return this.#rpc(chatId, async () => {
      this.#revoke(chatId, userId)
      for (const home of this.#fanout.dropMember(CHAT, userId)) {
        await chatRoom(this.env, home).revoke(home, chatId, userId)
      }
      return null
    })
  }

  /** `PUT /api/v1/users/status`: the status a member chose reaches everyone in this chat. */
  async userStatus(chatId: string, user: AuthIdentity, status: json.MemberStatus): Promise<RoomResult<null>> {
    return this.#rpc(chatId, () => {
      this.#broadcastChat(json.statusFrame(chatId, user, status))
      return null
    })
  }

  /** Chat `from` removed `userId`: this object's sockets of that user stop following it. */
  async revoke(home: string, from: string, userId: string): Promise<void> {
    this.#bind(home)
    this.#revoke(from, userId)
  }

  /** Copies pending changes to the D1 index now; answers how many remain (0 when drained). */
  async flushIndex(): Promise<number> {
    await this.#index.flush()
    return this.room.log.pendingIndexSize()
  }

  // ── Alarm: typing expiry and the D1 index ──────────────────────────────────────────────

  protected async onAlarm(): Promise<void> {
    const now = Date.now()
    this.room.onAlarm(now)
    await this.#index.onAlarm(now)
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────

  /** Refuses a call meant for another chat's object. */
  #bind(chatId: string): void {
    if (chatId !== this.name) throw new AppError('bad_request', 'Wrong room for this object')
  }

  #deleted(): boolean {
    return this.room.log.meta('deleted') !== undefined
  }

  #assertExists(): void {
    if (this.#deleted()) throw notFound('Chat')
  }

  /** This object's sockets of `userId` stop following chat `chatId`, and are told so. */
  #revoke(chatId: string, userId: string): void {
    for (const c of this.connections()) {
      if (c.state.user.id !== userId || !c.state.rooms.includes(chatId)) continue
      this.saveState(c, { ...c.state, rooms: c.state.rooms.filter((r) => r !== chatId) })
      this.sendTo(
        c,
        json.errorFrame('forbidden', 'You are no longer a member of this chat', { room_id: chatId }),
      )
    }
  }

  /** Runs an RPC for chat `chatId`; a deleted chat answers 404 unless `evenIfDeleted`. */
  async #rpc<T>(chatId: string, fn: () => T | Promise<T>, evenIfDeleted = false): Promise<RoomResult<T>> {
    try {
      this.#bind(chatId)
      if (!evenIfDeleted) this.#assertExists()
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
    await chatRoom(this.env, room).unfollow(room, this.name, user)
  }
}

const USER_HOME = '~user:'

/** The object name where `userId`'s sockets opened without a `room_id` live (never a chat id). */
export function userHome(userId: string): string {
  return `${USER_HOME}${userId}`
}

const isUserHome = (name: string) => name.startsWith(USER_HOME)

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
    files: filesOf(m),
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
