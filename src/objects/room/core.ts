import { AppError, forbidden, notFound, validationError } from '../../worker/lib/errors'
import { newId } from '../../worker/lib/ids'
import { utf8Exceeds } from '../../worker/lib/utf8'
import { RoomCommand, type Actor, type Attachment, type RoomCommandInput, type SendCommand } from './commands'
import type { RoomDetails, RoomEvent, SendResult } from './events'
import { ChatLog, type StoredMessage } from './log'
import type { RoomObserver } from './webhooks'
import { WriteBatch } from './write-batch'

/** How a room behaves; read from configuration by its object (tests may change them). */
export interface RoomOptions {
  /** Keep the outbox of changes a D1 index copies (chats; not live chat or conference rooms). */
  index: boolean
  /** How long a typing indicator lives without being renewed (ms). */
  typingTtlMs: number
  /** Most missed messages a resume replays; beyond that the client is told where to page from. */
  replayLimit: number
  /** Largest stored message (its content, and its protocol fields as JSON), in UTF-8 bytes. */
  maxMessageBytes: number
}

/** What the room needs from the object it lives in. */
export interface RoomHost {
  /** Delivers an event to the room's sockets (the object's codec encodes it once). */
  emit(event: RoomEvent): void
  /** Makes the object's alarm ring by `at` (earliest wins); the object then calls `onAlarm`. */
  scheduleAlarm(at: number): void
  /** How many connections `userId` has in this room in the object itself. */
  localConnections(userId: string): number
  /** How many connections `userId` has in this room through other objects (fan-out followers). */
  remoteConnections?(userId: string): number
  /** A change the D1 index must copy was made (rooms with `index` only). */
  indexChanged?(at: number): void
  /** Whether `userId` may delete other people's messages (a chat's owner or admin). */
  mayModerate?(userId: string): Promise<boolean>
  /**
   * The files `ids` as a message of `actor` in this room may carry them, in that order: each must
   * exist (404 naming it) and belong to this room (403). Rooms without it take no files.
   */
  attachments?(actor: Actor, ids: string[]): Promise<Attachment[]>
  /** Told of stored messages and presence changes, off the send path (webhooks, metrics: room/webhooks.ts). */
  observers?: RoomObserver[]
}

/** What each command answers. */
export type CommandResult<C extends RoomCommandInput> = C extends { type: 'send' }
  ? SendResult
  : C extends { type: 'edit' | 'delete' }
    ? { message: StoredMessage }
    : C extends { type: 'read' }
      ? { seq: number }
      : Record<string, never>

/** A resume: the messages after `since` (at most the replay limit), and where to page on from. */
export interface Replay {
  messages: StoredMessage[]
  /** Set when more messages were missed than one replay carries: page history after this seq. */
  nextSince?: number
}

/**
 * One ordered message room — the single implementation behind every chat protocol (the JSON
 * protocol's chats, live chat, Socket.IO room namespaces) and REST sends. It owns the log (gap-free
 * `seq`, one writer), write batching with acknowledgement after the commit, idempotency by the
 * sender's `client_id`, replay with one limit, edits and soft deletes, read pointers, typing with
 * expiry, presence counting and the per-message size limit. It takes typed commands and emits
 * typed events; it knows no wire format.
 */
export class MessageRoom {
  readonly log: ChatLog
  readonly options: RoomOptions
  #host: RoomHost
  #writes = new WriteBatch()
  /** Set while sends with files have their files looked up: every later send queues behind them. */
  #resolving: Promise<void> | undefined
  /** Messages the current write batch created, for the observer once the batch has run. */
  #created: StoredMessage[] = []

  constructor(storage: DurableObjectStorage, host: RoomHost, options: RoomOptions) {
    this.log = new ChatLog(storage, { index: options.index })
    this.#host = host
    this.options = options
  }

  get lastSeq(): number {
    return this.log.lastSeq
  }

  /**
   * Runs one command for `actor`. Sends that arrive close together are written in one batch
   * (one commit); their events and the caller's acknowledgement leave only after it (output
   * gate). Every other command waits behind sends still queued, so each connection's order holds.
   * Throws an AppError naming the problem (validation, not found, forbidden, too large).
   */
  async execute<C extends RoomCommandInput>(actor: Actor, command: C): Promise<CommandResult<C>> {
    const parsed = RoomCommand.safeParse(command)
    if (!parsed.success) throw validationError(parsed.error.issues)
    const cmd = parsed.data
    if (cmd.type === 'send') return (await this.#queueSend(actor, cmd)) as CommandResult<C>
    await this.written()
    return (await this.#apply(actor, cmd, Date.now())) as CommandResult<C>
  }

  /**
   * Resolves once the sends queued so far are written, so that a connection's other actions
   * (outside the room's commands) keep their order behind its sends.
   */
  async written(): Promise<void> {
    while (this.#resolving) await this.#resolving
    const pending = this.#writes.idle
    if (pending) await pending
  }

  /**
   * Queues a send for the next write batch. A send with files first has them looked up (a D1
   * read, during which other events may arrive); sends that arrive meanwhile wait behind it, so
   * the room's arrival order — and each connection's — holds.
   */
  #queueSend(actor: Actor, cmd: SendCommand): Promise<SendResult> {
    const ids = cmd.file_ids ?? []
    if (!ids.length && !this.#resolving) return this.#writes.run(() => this.#send(actor, cmd, []))
    const prior = this.#resolving
    const run = (async () => {
      if (prior) await prior
      // A repeated client_id is answered with its first message, whatever became of its files.
      const repeat = cmd.client_id !== undefined && this.log.byClientId(actor.id, cmd.client_id)
      const files = ids.length && !repeat ? await this.#attachments(actor, cmd) : []
      return this.#writes.run(() => this.#send(actor, cmd, files))
    })()
    const done: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    )
    this.#resolving = done
    void done.then(() => {
      if (this.#resolving === done) this.#resolving = undefined
    })
    return run
  }

  /** The files a send names, checked by the room's object; image messages take only images. */
  async #attachments(actor: Actor, cmd: SendCommand): Promise<Attachment[]> {
    if (!this.#host.attachments) throw new AppError('bad_request', 'This room takes no files')
    const files = await this.#host.attachments(actor, cmd.file_ids ?? [])
    if (cmd.message_type === 'image') {
      const bad = files.findIndex((f) => !f.mime_type.startsWith('image/'))
      if (bad >= 0)
        throw validationError([
          { path: ['file_ids', bad], message: `${files[bad].id} is ${files[bad].mime_type}, not an image` },
        ])
    }
    return files
  }

  /** The messages a client resuming after `since` missed, at most `replayLimit` of them. */
  replay(since: number): Replay {
    const limit = this.options.replayLimit
    const rows = this.log.after(since, limit + 1)
    if (rows.length <= limit) return { messages: rows }
    return { messages: rows.slice(0, limit), nextSince: rows[limit - 1].seq }
  }

  /** How many connections `userId` has in the room: in this object and in objects following it. */
  connectionsOf(userId: string): number {
    return this.#host.localConnections(userId) + (this.#host.remoteConnections?.(userId) ?? 0)
  }

  /** A connection of `user` joined the room (already counted by `connectionsOf`). */
  arrived(user: Actor): void {
    const connections = this.connectionsOf(user.id)
    this.#host.emit({ type: 'presence', user, online: true, connections })
    if (connections === 1) this.#tell((o) => o.presence?.(user, true))
  }

  /** A connection of `user` left the room (no longer counted); the last one ends their typing. */
  departed(user: Actor): void {
    const connections = this.connectionsOf(user.id)
    this.#host.emit({ type: 'presence', user, online: false, connections })
    if (connections === 0) this.#tell((o) => o.presence?.(user, false))
    if (connections === 0 && this.log.stopTyping(user.id))
      this.#host.emit({ type: 'typing', user, typing: false })
  }

  /** `by` changed the room's details (checked by the caller): everyone in the room is told. */
  updated(by: Actor, room: RoomDetails): void {
    this.#host.emit({ type: 'room_updated', by, room })
  }

  /**
   * `by` deleted the room (checked by the caller): everyone in the room is told, after the sends
   * already queued are written and announced. The object then closes its sockets and erases the log.
   */
  async deleted(by: Actor): Promise<void> {
    await this.written()
    this.#host.emit({ type: 'room_deleted', by })
  }

  /** The alarm rang: typing that expired ends; the next expiry is scheduled. */
  onAlarm(now: number): void {
    for (const t of this.log.expireTyping(now))
      this.#host.emit({ type: 'typing', user: { id: t.user_id, name: t.name }, typing: false })
    const next = this.log.nextTypingExpiry()
    if (next !== undefined) this.#host.scheduleAlarm(next)
    this.#tell((o) => o.onAlarm?.(now))
  }

  // ── Commands ───────────────────────────────────────────────────────────────────────────

  /** Stores a message (or finds its first copy) and tells the room; runs in a write batch. */
  #send(actor: Actor, cmd: SendCommand, files: Attachment[]): SendResult {
    const now = Date.now()
    if (cmd.reply_to && !this.log.byId(cmd.reply_to)) {
      // A repeated send is acknowledged as such even if its replied-to message is gone.
      const first = cmd.client_id ? this.log.byClientId(actor.id, cmd.client_id) : undefined
      if (first) return { message: first, duplicate: true }
      throw notFound('Replied-to message')
    }
    const body = cmd.attrs ? JSON.stringify(cmd.attrs) : null
    const max = this.options.maxMessageBytes
    if (utf8Exceeds(cmd.content, max) || (body !== null && utf8Exceeds(body, max)))
      throw new AppError('payload_too_large', `Message larger than ${max} bytes`, { limit: max })
    const { row, created } = this.log.append(
      {
        id: newId(),
        sender_id: actor.id,
        sender_name: actor.name,
        sender_email: actor.email ?? null,
        content: cmd.content,
        type: cmd.message_type,
        files: files.length ? JSON.stringify(files) : null,
        reply_to: cmd.reply_to ?? null,
        client_id: cmd.client_id ?? null,
        created_at: now,
      },
      body,
    )
    if (!created) return { message: row, duplicate: true }
    if (this.log.stopTyping(actor.id))
      this.#host.emit({ type: 'typing', user: actor, typing: false, implicit: true })
    this.#host.emit({ type: 'message', message: row })
    this.#changed(now)
    if (this.#host.observers) this.#observe(row)
    return { message: row, duplicate: false }
  }

  async #apply(actor: Actor, cmd: Exclude<RoomCommand, SendCommand>, now: number) {
    switch (cmd.type) {
      case 'edit': {
        const m = this.#live(cmd.message_id)
        if (m.sender_id !== actor.id) throw forbidden('Only the sender may edit a message')
        this.log.edit(m.seq, cmd.content, now)
        const message = this.log.bySeq(m.seq)!
        this.#host.emit({ type: 'edited', message })
        this.#changed(now)
        return { message }
      }
      case 'delete': {
        const m = this.log.byId(cmd.message_id)
        if (!m) throw notFound('Message')
        if (m.deleted_at !== null) return { message: m }
        if (m.sender_id !== actor.id && !(await this.#host.mayModerate?.(actor.id)))
          throw forbidden('Only the sender or a chat owner or admin may delete a message')
        this.log.remove(m.seq, now)
        const message = this.log.bySeq(m.seq)!
        this.#host.emit({ type: 'deleted', message, by: actor })
        this.#changed(now)
        return { message }
      }
      case 'read': {
        const { seq, moved } = this.log.markRead(actor.id, Math.min(cmd.seq, this.log.lastSeq), now)
        if (moved) {
          this.#host.emit({ type: 'read', user: actor, seq })
          this.#changed(now)
        }
        return { seq }
      }
      case 'typing': {
        if (cmd.typing) {
          const was = this.log.stopTyping(actor.id)
          const until = now + this.options.typingTtlMs
          this.log.startTyping(actor.id, actor.name, until)
          this.#host.scheduleAlarm(until)
          if (!was) this.#host.emit({ type: 'typing', user: actor, typing: true })
        } else if (this.log.stopTyping(actor.id)) {
          this.#host.emit({ type: 'typing', user: actor, typing: false })
        }
        return {}
      }
    }
  }

  /** A message that exists and is not deleted. */
  #live(id: string): StoredMessage {
    const m = this.log.byId(id)
    if (!m) throw notFound('Message')
    if (m.deleted_at !== null) throw new AppError('conflict', 'Message was deleted')
    return m
  }

  /**
   * Hands the batch's new messages to the observers once, in a later task: after every send of
   * the batch has run and its acknowledgements and broadcasts were handed to the sockets.
   */
  #observe(row: StoredMessage): void {
    if (this.#created.push(row) > 1) return
    setTimeout(() => {
      const rows = this.#created.splice(0)
      this.#tell((o) => o.committed?.(rows))
    }, 0)
  }

  #tell(fn: (o: RoomObserver) => void): void {
    for (const o of this.#host.observers ?? []) fn(o)
  }

  #changed(at: number): void {
    if (this.options.index) this.#host.indexChanged?.(at)
  }
}
