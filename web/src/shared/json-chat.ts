import { Api, wsUrl } from './api'

/** A chat message as the console shows it (from history or from frames). */
export interface Message {
  id: string
  seq: number
  senderId: string
  senderName: string
  content: string
  createdAt: string
  editedAt: string | null
  deleted: boolean
  clientId: string | null
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** What a chat view hears from its connection. */
export interface ChatEvents {
  messages(all: Message[]): void
  typing(who: string, name: string, typing: boolean): void
  presence(who: string, status: string): void
  read(who: string, seq: number): void
  state(s: ConnectionState, detail?: string): void
  error(message: string): void
}

/**
 * One chat over the JSON WebSocket protocol, with resume: it keeps every message by seq, and
 * after a dropped connection reconnects with `since=<last seq>` so the server replays exactly
 * what was missed (a gap would be fetched over REST; a repeat is ignored). Sends carry a
 * `client_id`, so a send repeated after a reconnect is stored once.
 */
export class ChatConnection {
  readonly messages = new Map<number, Message>()
  lastSeq = 0
  /** Frames the server repeated (a seq already held): zero when resume works. */
  duplicates = 0
  /** Times the connection was opened again after a drop. */
  reconnects = 0
  #ws: WebSocket | undefined
  #closing = false
  #pending = new Map<string, { content: string }>()
  #retry = 0
  #readSent = 0

  constructor(
    readonly api: Api,
    readonly chatId: string,
    readonly on: ChatEvents,
  ) {}

  /** Loads recent history, then opens the socket resuming after it. */
  async start(): Promise<void> {
    const page = await this.api.get<{ messages: any[] }>(`/api/v1/chats/${this.chatId}/messages?limit=100`)
    for (const m of page.messages) this.#store(fromRest(m))
    this.#emit()
    await this.#open()
  }

  get state(): ConnectionState {
    if (this.#closing) return 'closed'
    return this.#ws?.readyState === WebSocket.OPEN ? 'open' : this.#retry > 0 ? 'reconnecting' : 'connecting'
  }

  async #open(): Promise<void> {
    this.on.state(this.#retry ? 'reconnecting' : 'connecting')
    const token = await this.api.freshToken()
    const q = new URLSearchParams({ token, room_id: this.chatId, since: String(this.lastSeq) })
    const ws = new WebSocket(wsUrl(`/api/v1/chat/ws?${q}`))
    this.#ws = ws
    ws.onopen = () => {
      if (this.#retry) this.reconnects++
      this.#retry = 0
      this.on.state('open')
      // Sends that were not acknowledged before the drop go again; client_id keeps them single.
      for (const [clientId, p] of this.#pending)
        this.#frame({ type: 'send_message', content: p.content, client_id: clientId })
    }
    ws.onmessage = (e) => {
      const value = JSON.parse(String(e.data))
      for (const f of Array.isArray(value) ? value : [value]) this.#handle(f)
    }
    ws.onclose = (e) => {
      if (this.#ws !== ws || this.#closing) return
      this.#retry++
      const delay = Math.min(5000, 250 * 2 ** Math.min(this.#retry, 5))
      this.on.state('reconnecting', `connection lost (${e.code}); retrying in ${delay} ms`)
      setTimeout(() => void this.#open().catch((err) => this.on.error(String(err))), delay)
    }
  }

  #frame(f: Record<string, unknown>): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify({ room_id: this.chatId, ...f }))
  }

  #handle(f: any): void {
    if (f.room_id !== undefined && f.room_id !== this.chatId) return
    switch (f.type) {
      case 'new_message':
      case 'message_edited':
        this.#receive(fromFrame(f.data), f.type === 'new_message')
        break
      case 'message_deleted': {
        const m = this.messages.get(f.seq)
        if (m) this.messages.set(f.seq, { ...m, deleted: true, content: '' })
        this.#emit()
        break
      }
      case 'message_ack':
        this.#pending.delete(f.client_id)
        break
      case 'typing':
        this.on.typing(f.user_uuid, f.user_fullname, f.typing)
        break
      case 'user_joined':
        this.on.presence(f.user_uuid, 'online')
        break
      case 'user_left':
        this.on.presence(f.user_uuid, 'offline')
        break
      case 'user_status':
        this.on.presence(f.user_uuid, f.status)
        break
      case 'read':
        this.on.read(f.user_uuid, f.seq)
        break
      case 'error':
        this.on.error(`${f.code}: ${f.message}`)
        break
    }
  }

  #receive(m: Message, isNew: boolean): void {
    if (isNew && this.messages.has(m.seq)) {
      this.duplicates++
      return
    }
    if (isNew && m.seq > this.lastSeq + 1) void this.#fill(this.lastSeq, m.seq)
    this.#store(m)
    this.#emit()
  }

  /** Fetches messages between `after` and `before` over REST (a gap the socket did not replay). */
  async #fill(after: number, before: number): Promise<void> {
    const page = await this.api.get<{ messages: any[] }>(
      `/api/v1/chats/${this.chatId}/messages?after=${after}&limit=${Math.min(200, before - after)}`,
    )
    for (const m of page.messages) if (!this.messages.has(m.seq)) this.#store(fromRest(m))
    this.#emit()
  }

  #store(m: Message): void {
    this.messages.set(m.seq, m)
    if (m.seq > this.lastSeq) this.lastSeq = m.seq
  }

  #emit(): void {
    this.on.messages([...this.messages.values()].sort((a, b) => a.seq - b.seq))
  }

  send(content: string): void {
    const clientId = crypto.randomUUID()
    this.#pending.set(clientId, { content })
    this.#frame({ type: 'send_message', content, client_id: clientId })
  }

  typing(on: boolean): void {
    this.#frame({ type: on ? 'typing_start' : 'typing_stop' })
  }

  /** Moves the read pointer to the newest message (once per seq). */
  markRead(): void {
    if (this.lastSeq > this.#readSent && this.state === 'open') {
      this.#readSent = this.lastSeq
      this.#frame({ type: 'mark_read', seq: this.lastSeq })
    }
  }

  edit(messageId: string, content: string): void {
    this.#frame({ type: 'edit_message', message_id: messageId, content })
  }

  remove(messageId: string): void {
    this.#frame({ type: 'delete_message', message_id: messageId })
  }

  /** Drops the socket as a network failure would (the connection then resumes by itself). */
  drop(): void {
    this.#ws?.close(4000, 'dropped')
  }

  close(): void {
    this.#closing = true
    this.#ws?.close(1000, 'closed')
    this.on.state('closed')
  }
}

function fromFrame(d: any): Message {
  return {
    id: d.message_id,
    seq: d.seq,
    senderId: d.user_uuid,
    senderName: d.user_fullname,
    content: d.content,
    createdAt: d.created_at,
    editedAt: d.edited_at,
    deleted: d.deleted,
    clientId: d.client_id,
  }
}

function fromRest(m: any): Message {
  return {
    id: m.id,
    seq: m.seq,
    senderId: m.sender.id,
    senderName: m.sender.name,
    content: m.content,
    createdAt: m.created_at,
    editedAt: m.edited_at,
    deleted: m.deleted,
    clientId: m.client_id,
  }
}
