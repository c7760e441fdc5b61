import { exports } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { Fetch } from 'engine.io-client'
import type { Socket } from 'socket.io-client'
import { ChatClient, connect as connectChat, groupWith } from '../chat-client'
import { call, json, liveKitToken, registerUser, type TestUser } from '../helpers'
import { sioClient, sioConnected } from '../sio-client'
import { chatRoomStub, conferenceRoomStub, liveChatStub, type TestSettings } from './test-classes'

/**
 * One driver per chat protocol and transport, each speaking its own wire format to the real
 * Worker inside workerd, all answering the same questions — so the contract suite
 * (room-contract.test.ts) runs the same tests against every protocol.
 */

/** A message as a client saw it. */
export interface Seen {
  seq: number
  content: string
  sender: string
  /** The message type (text, image, file) and its files' ids, where the protocol carries them. */
  type?: string
  files?: string[]
}

/** What a send was answered with: its ack, or the error it got instead. */
export type Answer = { id: string; seq: number; duplicate: boolean } | { error: string }

export interface ContractClient {
  /** Sends a message and resolves with its ack or error. */
  send(content: string, clientId?: string): Promise<Answer>
  /** Sends an image or file message naming uploaded files (protocols with `files` only). */
  sendFiles?(type: 'image' | 'file', fileIds: string[], caption?: string): Promise<Answer>
  /** Messages received, in arrival order. */
  readonly messages: Seen[]
  /** Error codes received (frames or events), in arrival order, with their extra fields. */
  readonly errors: { code: string; next_since?: number }[]
  /** Typing indicators of others, in arrival order. */
  readonly typing: { user: string; typing: boolean }[]
  setTyping(on: boolean): void
  /** Something the protocol cannot parse (it must answer with an error and keep working). */
  sendBad(): void
  /** Closes the connection; resolves once its transport is closed. */
  close(): void | Promise<void>
}

export interface ContractRoom {
  /** Connects sender `i` (0-based; several senders may be one user), resuming after `since`. */
  connect(i: number, since?: number): Promise<ContractClient>
  /** Changes limits and room options of the room's object. */
  configure(s: TestSettings): Promise<void>
  /** The room's object stub (for eviction). */
  stub(): DurableObjectStub
  /** Messages the room holds, read back over its own read path. */
  stored(): Promise<number>
  /** Uploads a PNG to this room and one to another room (protocols with `files` only). */
  upload?(): Promise<{ own: string; foreign: string }>
}

export interface Protocol {
  name: string
  /** Whether the protocol carries typing indicators. */
  typing: boolean
  /** Whether the protocol carries message types and files (seed 001 `messages.type`). */
  files: boolean
  /** Client messages a connection spends before its first send (e.g. Socket.IO's CONNECT). */
  setupMessages: number
  /**
   * Most connections one test may hold open. In-process long-polling is bounded by workerd's six
   * simultaneous subrequests per test (each polling client keeps a GET waiting).
   */
  maxConnections: number
  /**
   * Whether the eviction test runs. Long-polling sessions live in memory (an eviction ends them
   * by design), and `evictDurableObject` did not return while the object had served one (seen
   * here, not understood); the core's durability is the same code under every transport.
   */
  evictable: boolean
  open(senders: number): Promise<ContractRoom>
}

/** Resolves when `cond` holds (polling every 20 ms), or throws after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

// ── JSON protocol (seeds 003/001) ───────────────────────────────────────────────────────

class JsonClient implements ContractClient {
  messages: Seen[] = []
  errors: { code: string; next_since?: number }[] = []
  typing: { user: string; typing: boolean }[] = []
  #acks = new Map<string, (a: Answer) => void>()
  #n = 0
  constructor(
    readonly c: ChatClient,
    readonly room: string,
  ) {
    c.ws.addEventListener('message', () => this.#drain())
  }
  #seen = 0
  #drain() {
    for (; this.#seen < this.c.frames.length; this.#seen++) {
      const f = this.c.frames[this.#seen]
      if (f.type === 'new_message')
        this.messages.push({
          seq: f.seq,
          content: f.content,
          sender: f.user_uuid,
          type: f.message_type,
          files: f.files.map((x: { id: string }) => x.id),
        })
      else if (f.type === 'typing') this.typing.push({ user: f.user_uuid, typing: f.typing })
      else if (f.type === 'message_ack')
        this.#acks.get(f.client_id)?.({ id: f.message_id, seq: f.seq, duplicate: f.duplicate })
      else if (f.type === 'error') {
        this.errors.push({
          code: f.code,
          ...(f.next_since !== undefined ? { next_since: f.next_since } : {}),
        })
        if (f.client_id) this.#acks.get(f.client_id)?.({ error: f.code })
      }
    }
  }
  send(content: string, clientId = `k${++this.#n}-${Math.random()}`): Promise<Answer> {
    const p = new Promise<Answer>((r) => this.#acks.set(clientId, r))
    this.c.send({ type: 'send_message', room_id: this.room, content, client_id: clientId })
    return p
  }
  sendFiles(type: 'image' | 'file', fileIds: string[], caption?: string): Promise<Answer> {
    const clientId = `f${++this.#n}-${Math.random()}`
    const p = new Promise<Answer>((r) => this.#acks.set(clientId, r))
    this.c.send({
      type: 'send_message',
      room_id: this.room,
      message_type: type,
      file_ids: fileIds,
      ...(caption !== undefined ? { content: caption } : {}),
      client_id: clientId,
    })
    return p
  }
  setTyping(on: boolean) {
    this.c.send({ type: on ? 'typing_start' : 'typing_stop', room_id: this.room })
  }
  sendBad() {
    this.c.send('{not json')
  }
  close() {
    this.c.close()
  }
}

export const jsonProtocol: Protocol = {
  name: 'JSON protocol',
  typing: true,
  files: true,
  setupMessages: 0,
  maxConnections: 21,
  evictable: true,
  async open(senders) {
    const { chatId, users } = await groupWith(Math.min(senders, 20), 'Contract')
    return {
      async connect(i, since) {
        const c = await connectChat(
          users[i % users.length],
          chatId,
          since !== undefined ? { since: String(since) } : {},
        )
        return new JsonClient(c, chatId)
      },
      configure: (s) => runIn(chatRoomStub(chatId), s),
      stub: () => chatRoomStub(chatId) as unknown as DurableObjectStub,
      async stored() {
        const res = await call(`/api/v1/chats/${chatId}/messages?limit=100`, { token: users[0].access_token })
        return (await json(res)).data.messages.length
      },
      async upload() {
        const other = await groupWith(1, 'Elsewhere')
        return {
          own: await uploadPng(users[0], { chat_id: chatId }),
          foreign: await uploadPng(other.users[0], { chat_id: other.chatId }),
        }
      },
    }
  },
}

// ── Live chat (seed 004) ────────────────────────────────────────────────────────────────

class LiveChatClient implements ContractClient {
  messages: Seen[] = []
  errors: { code: string; next_since?: number }[] = []
  typing: { user: string; typing: boolean }[] = []
  #pending: ((a: Answer) => void)[] = []
  #seen = 0
  constructor(readonly c: ChatClient) {
    c.ws.addEventListener('message', () => this.#drain())
  }
  #drain() {
    for (; this.#seen < this.c.frames.length; this.#seen++) {
      const f = this.c.frames[this.#seen]
      if (f.type === 'new_message')
        this.messages.push({ seq: f.data.seq, content: f.data.message, sender: f.data.user_id })
      else if (f.type === 'typing') this.typing.push({ user: f.data.user_id, typing: f.data.is_typing })
      else if (f.type === 'message_ack')
        this.#pending.shift()?.({ id: f.data.id, seq: f.data.seq, duplicate: f.data.duplicate })
      else if (f.type === 'error') {
        this.errors.push({
          code: f.code,
          ...(f.next_since !== undefined ? { next_since: f.next_since } : {}),
        })
        // Live chat answers each frame in order: an error stands in for that send's ack.
        if (f.code !== 'conflict') this.#pending.shift()?.({ error: f.code })
      }
    }
  }
  send(content: string, clientId?: string): Promise<Answer> {
    const p = new Promise<Answer>((r) => this.#pending.push(r))
    this.c.send({
      type: 'send_message',
      data: { message: content, ...(clientId ? { client_id: clientId } : {}) },
    })
    return p
  }
  setTyping(on: boolean) {
    this.c.send({ type: 'typing', data: { is_typing: on } })
  }
  sendBad() {
    this.#pending.push(() => undefined)
    this.c.send('{not json')
  }
  close() {
    this.c.close()
  }
}

export const liveChatProtocol: Protocol = {
  name: 'live chat',
  typing: true,
  // Seed 004's sessions exchange text only (no file belongs to a live-chat session).
  files: false,
  setupMessages: 0,
  maxConnections: 21,
  evictable: true,
  async open() {
    const customer = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const res = await call('/api/v1/livechat/sessions', {
      method: 'POST',
      token: customer.access_token,
      json: { subject: 'Contract' },
    })
    const session = (await json(res)).data.id as string
    const who = (i: number): [TestUser, string] => (i % 2 ? [agent, 'agent'] : [customer, 'customer'])
    return {
      async connect(i, since) {
        const [user, type] = who(i)
        const q = since !== undefined ? `&since=${since}` : ''
        const r = await call(`/ws/${session}/${user.id}/${type}?token=${user.access_token}${q}`, {
          headers: { upgrade: 'websocket' },
        })
        if (!r.webSocket) throw new Error(`live chat refused: ${r.status} ${await r.text()}`)
        r.webSocket.accept()
        return new LiveChatClient(new ChatClient(r.webSocket))
      },
      configure: (s) => runIn(liveChatStub(session), s),
      stub: () => liveChatStub(session) as unknown as DurableObjectStub,
      async stored() {
        const r = await call(`/api/v1/livechat/sessions/${session}/messages?limit=100`, {
          token: customer.access_token,
        })
        return (await json(r)).data.messages.length
      },
    }
  },
}

// ── Socket.IO room namespace (seed 000), over WebSocket or long-polling ─────────────────

/** engine.io-client's fetch-based polling transport, sending its requests to the Worker in-process. */
// `_fetch` is private in the typings: the class is extended through an untyped base.
const FetchTransport = Fetch as unknown as new (...args: any[]) => { uri(): string }

export class InProcessPolling extends FetchTransport {
  /** The requests' `request.cf`: a subclass naming a location (`colo`) gets that location's home objects. */
  protected cf(): { colo: string } | undefined {
    return undefined
  }
  _fetch(data?: string): Promise<Response> {
    const post = data !== undefined
    return exports.default.fetch(
      new Request(this.uri(), {
        method: post ? 'POST' : 'GET',
        body: post ? data : null,
        headers: post ? { 'content-type': 'text/plain;charset=UTF-8' } : {},
        cf: this.cf(),
      }),
    )
  }
}

class SioContractClient implements ContractClient {
  messages: Seen[] = []
  errors: { code: string; next_since?: number }[] = []
  typing: { user: string; typing: boolean }[] = []
  constructor(readonly s: Socket) {
    s.on(
      'chat-message',
      (m: {
        seq: number
        message: string
        sender: { identity: string }
        type: string
        files?: { id: string }[]
      }) =>
        this.messages.push({
          seq: m.seq,
          content: m.message,
          sender: m.sender.identity,
          type: m.type,
          files: (m.files ?? []).map((f) => f.id),
        }),
    )
    s.on('error', (e: { code: string; next_since?: number }) =>
      this.errors.push({ code: e.code, ...(e.next_since !== undefined ? { next_since: e.next_since } : {}) }),
    )
  }
  async send(content: string, clientId?: string): Promise<Answer> {
    const ack = await this.s
      .timeout(8000)
      .emitWithAck('chat-message', { message: content, ...(clientId ? { client_id: clientId } : {}) })
    return ack.error ? { error: ack.error.code } : ack
  }
  async sendFiles(type: 'image' | 'file', fileIds: string[], caption?: string): Promise<Answer> {
    const ack = await this.s.timeout(8000).emitWithAck('chat-message', {
      type,
      file_ids: fileIds,
      ...(caption !== undefined ? { message: caption } : {}),
    })
    return ack.error ? { error: ack.error.code } : ack
  }
  setTyping() {
    throw new Error('Socket.IO room namespaces carry no typing indicator (seed 000)')
  }
  sendBad() {
    this.s.emit('chat-message', [])
  }
  close(): Promise<void> {
    const engine = this.s.io.engine
    const closed = new Promise<void>((r) => {
      engine.once('close', () => r())
      setTimeout(r, 2000)
    })
    this.s.disconnect()
    return closed
  }
}

function sioProtocol(name: string, transport: 'websocket' | 'polling'): Protocol {
  return {
    name,
    typing: false,
    files: true,
    setupMessages: 1,
    maxConnections: transport === 'polling' ? 5 : 21,
    evictable: transport !== 'polling',
    async open(senders) {
      const room = `contract-${transport}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
      const tokens = await Promise.all(
        Array.from({ length: senders }, (_, i) => liveKitToken(room, `sender-${i}`, `Sender ${i}`)),
      )
      return {
        async connect(i, since) {
          const auth = {
            token: tokens[i % tokens.length],
            ...(since !== undefined ? { last_seq: since } : {}),
          }
          const opts = { auth, query: { room } }
          const s =
            transport === 'polling'
              ? sioClient(`/${room}`, { ...opts, transports: [InProcessPolling as any], upgrade: false })
              : sioClient(`/${room}`, opts)
          // Listeners first: a resume's replay follows the CONNECT reply at once.
          const client = new SioContractClient(s)
          await sioConnected(s)
          return client
        },
        configure: (s) => runIn(conferenceRoomStub(room), s),
        stub: () => conferenceRoomStub(room) as unknown as DurableObjectStub,
        async stored() {
          return (await conferenceRoomStub(room).chatSummary(0, room)).last_seq
        },
        async upload() {
          const staff = await registerUser({ role: 'agent' })
          return {
            own: await uploadPng(staff, { room }),
            foreign: await uploadPng(staff, { room: `${room}-other` }),
          }
        },
      }
    },
  }
}

export const sioWebSocket = sioProtocol('Socket.IO over WebSocket', 'websocket')
export const sioPolling = sioProtocol('Socket.IO over long-polling', 'polling')

/** Every protocol and transport the contract holds for. */
export const PROTOCOLS = [jsonProtocol, liveChatProtocol, sioWebSocket, sioPolling]

/** Uploads a small PNG with `POST /api/v1/files` (to a chat or a conference room); answers its id. */
async function uploadPng(user: TestUser, fields: Record<string, string>): Promise<string> {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])
  const form = new FormData()
  form.append('file', new File([png], 'pic.png', { type: 'image/png' }))
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  const res = await call('/api/v1/files', { method: 'POST', token: user.access_token, body: form })
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`)
  return (await json(res)).data.id
}

async function runIn(stub: object, s: TestSettings) {
  await runInDurableObject(stub as DurableObjectStub, (o) =>
    (o as unknown as { configure(s: TestSettings): void }).configure(s),
  )
}
