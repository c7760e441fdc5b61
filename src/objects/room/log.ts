import type { Attachment } from './commands'

/**
 * One chat's ordered message log in its Durable Object's SQLite storage — the source of truth,
 * for every protocol (JSON chat rooms, live chat, Socket.IO room namespaces). Every method is
 * synchronous and the object is the log's single writer, so the next `seq` is kept in memory
 * (read once when the object wakes) and stays gap-free under any number of senders.
 * Alongside the log: read pointers, pending typing, and the outbox of changes waiting to be
 * copied to the D1 index.
 */

/** A stored message row (snake_case, as SQLite returns it). */
export interface StoredMessage {
  seq: number
  id: string
  sender_id: string
  sender_name: string
  sender_email: string | null
  content: string
  /** text, image or file (seed 001 `messages.type`). */
  type: string
  /** The attached files as a JSON array of `Attachment`s (room/commands.ts), or null. */
  files: string | null
  reply_to: string | null
  client_id: string | null
  created_at: number
  edited_at: number | null
  deleted_at: number | null
  /**
   * The protocol fields kept with the message (a JSON object: Socket.IO's chat-message fields),
   * handed back to its codec; null for plain messages. Rows of older layouts hold the whole
   * message as Socket.IO broadcast it, which the codec renders the same way.
   */
  body: string | null
}

/** A stored message's files (none for text messages and tombstones). */
export function filesOf(m: StoredMessage): Attachment[] {
  return m.files ? (JSON.parse(m.files) as Attachment[]) : []
}

/** What a caller supplies to append a message (the log assigns `seq`). */
export type NewMessage = Omit<StoredMessage, 'seq' | 'edited_at' | 'deleted_at' | 'body'>

/**
 * An outbox row: `msg` (ref = seq: an edited or deleted message) or `read` (ref = user id), to
 * copy to D1. New messages need no row: every message after `indexed_seq` is pending.
 */
export interface OutboxRow {
  id: number
  kind: 'msg' | 'read'
  ref: string
}

/** One run of changes for the D1 index (see ChatLog.pendingIndex). */
export interface IndexBatch {
  messages: StoredMessage[]
  reads: { user_id: string; seq: number }[]
  /** The last outbox row included. */
  outboxThrough: number
  /** The newest seq the index has once this batch is written. */
  seqThrough: number
  empty: boolean
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  sender_id TEXT NOT NULL,
  sender_name TEXT NOT NULL,
  sender_email TEXT,
  content TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT 'text',
  files TEXT,
  reply_to TEXT,
  client_id TEXT,
  created_at INTEGER NOT NULL,
  edited_at INTEGER,
  deleted_at INTEGER,
  body TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_client_uq ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS reads (user_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS typing (user_id TEXT PRIMARY KEY, name TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, ref TEXT NOT NULL);
`

/** Version of the layout below; older objects are migrated when they wake (see #migrate). */
const LAYOUT = '4'

const INSERT_MESSAGE = `INSERT INTO messages
  (seq, id, sender_id, sender_name, sender_email, content, type, files, reply_to, client_id, created_at, body)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING`

/** The synchronous storage layer of a message room (see core.ts), for every protocol. */
export class ChatLog {
  #storage: DurableObjectStorage
  #sql: SqlStorage
  #lastSeq: number
  #indexed: boolean
  /** Meta values read so far (the object is the only writer). */
  #meta = new Map<string, string | undefined>()
  /** Rows in `typing`: with none, ending a user's typing costs no statement. */
  #typing: number
  /** The newest seq the D1 index has (messages after it are pending). */
  #indexedSeq: number

  /** `index: false` keeps no outbox: for logs that no D1 index mirrors (live chat, Socket.IO rooms). */
  constructor(storage: DurableObjectStorage, options: { index?: boolean } = {}) {
    const sql = storage.sql
    this.#storage = storage
    this.#sql = sql
    this.#indexed = options.index ?? true
    sql.exec(SCHEMA)
    if (this.meta('layout') !== LAYOUT) this.#migrate()
    this.#lastSeq = this.#one<{ s: number | null }>('SELECT max(seq) AS s FROM messages')?.s ?? 0
    this.#typing = this.#one<{ n: number }>('SELECT count(*) AS n FROM typing')?.n ?? 0
    this.#indexedSeq = Number(this.meta('indexed_seq') ?? this.#lastSeq)
  }

  get lastSeq(): number {
    return this.#lastSeq
  }

  meta(key: string): string | undefined {
    if (this.#meta.has(key)) return this.#meta.get(key)
    const value = this.#one<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value
    this.#meta.set(key, value)
    return value
  }

  setMeta(key: string, value: string): void {
    this.#sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, value)
    this.#meta.set(key, value)
  }

  // ── Messages ───────────────────────────────────────────────────────────────────────────

  /**
   * Appends a message with the next seq (pending for the D1 index) in one statement, or —
   * when the sender already sent this `client_id` — stores nothing and answers the first
   * message with `created: false`. `body`: the protocol fields kept with it (JSON), if any.
   */
  append(m: NewMessage, body: string | null = null): { row: StoredMessage; created: boolean } {
    const seq = this.#lastSeq + 1
    const row: StoredMessage = { ...m, seq, edited_at: null, deleted_at: null, body }
    const written = this.#sql.exec(
      INSERT_MESSAGE,
      seq,
      row.id,
      row.sender_id,
      row.sender_name,
      row.sender_email,
      row.content,
      row.type,
      row.files,
      row.reply_to,
      row.client_id,
      row.created_at,
      row.body,
    ).rowsWritten
    if (!written) return { row: this.byClientId(m.sender_id, m.client_id!)!, created: false }
    this.#lastSeq = seq
    return { row, created: true }
  }

  byClientId(senderId: string, clientId: string): StoredMessage | undefined {
    return this.#one('SELECT * FROM messages WHERE sender_id = ? AND client_id = ?', senderId, clientId)
  }

  byId(id: string): StoredMessage | undefined {
    return this.#one('SELECT * FROM messages WHERE id = ?', id)
  }

  bySeq(seq: number): StoredMessage | undefined {
    return this.#one('SELECT * FROM messages WHERE seq = ?', seq)
  }

  /** Messages with seq < `before` (or the newest), newest first. */
  page(before: number | undefined, limit: number): StoredMessage[] {
    return before === undefined
      ? this.#all('SELECT * FROM messages ORDER BY seq DESC LIMIT ?', limit)
      : this.#all('SELECT * FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?', before, limit)
  }

  /** Messages with seq > `after`, oldest first. */
  after(after: number, limit: number): StoredMessage[] {
    return this.#all('SELECT * FROM messages WHERE seq > ? ORDER BY seq ASC LIMIT ?', after, limit)
  }

  edit(seq: number, content: string, at: number): void {
    this.#sql.exec('UPDATE messages SET content = ?, edited_at = ? WHERE seq = ?', content, at, seq)
    this.#enqueue('msg', String(seq))
  }

  /** Soft delete: the row (its seq, sender, times) stays as a tombstone; the content and file references are erased. */
  remove(seq: number, at: number): void {
    this.#sql.exec("UPDATE messages SET content = '', files = NULL, deleted_at = ? WHERE seq = ?", at, seq)
    this.#enqueue('msg', String(seq))
  }

  // ── Read pointers ──────────────────────────────────────────────────────────────────────

  readSeq(userId: string): number {
    return this.#one<{ seq: number }>('SELECT seq FROM reads WHERE user_id = ?', userId)?.seq ?? 0
  }

  /** Moves a user's read pointer forward (never back); returns the pointer and whether it moved. */
  markRead(userId: string, seq: number, at: number): { seq: number; moved: boolean } {
    const current = this.readSeq(userId)
    if (seq <= current) return { seq: current, moved: false }
    this.#sql.exec('INSERT OR REPLACE INTO reads (user_id, seq, at) VALUES (?, ?, ?)', userId, seq, at)
    this.#enqueue('read', userId)
    return { seq, moved: true }
  }

  // ── Typing ─────────────────────────────────────────────────────────────────────────────

  startTyping(userId: string, name: string, expiresAt: number): void {
    this.#sql.exec(
      'INSERT OR REPLACE INTO typing (user_id, name, expires_at) VALUES (?, ?, ?)',
      userId,
      name,
      expiresAt,
    )
    this.#typing = this.#one<{ n: number }>('SELECT count(*) AS n FROM typing')?.n ?? 0
  }

  /** Removes a user's typing row; true when there was one. */
  stopTyping(userId: string): boolean {
    if (!this.#typing) return false
    const removed = this.#sql.exec('DELETE FROM typing WHERE user_id = ?', userId).rowsWritten
    this.#typing -= removed
    return removed > 0
  }

  /** Removes and returns the typing rows that expired by `now`. */
  expireTyping(now: number): { user_id: string; name: string }[] {
    const rows = this.#all<{ user_id: string; name: string }>(
      'SELECT user_id, name FROM typing WHERE expires_at <= ?',
      now,
    )
    if (rows.length)
      this.#typing -= this.#sql.exec('DELETE FROM typing WHERE expires_at <= ?', now).rowsWritten
    return rows
  }

  nextTypingExpiry(): number | undefined {
    return this.#one<{ t: number | null }>('SELECT min(expires_at) AS t FROM typing')?.t ?? undefined
  }

  // ── Outbox to the D1 index ─────────────────────────────────────────────────────────────

  #enqueue(kind: OutboxRow['kind'], ref: string): void {
    if (!this.#indexed) return
    this.#sql.exec('INSERT INTO outbox (kind, ref) VALUES (?, ?)', kind, ref)
  }

  /**
   * What the D1 index is missing, at most `limit` of each kind: new messages (after
   * `indexed_seq`), messages changed since they were indexed, and moved read pointers.
   */
  pendingIndex(limit: number): IndexBatch {
    const fresh = this.#all<StoredMessage>(
      'SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?',
      this.#indexedSeq,
      limit,
    )
    const outbox = this.#all<OutboxRow>('SELECT id, kind, ref FROM outbox ORDER BY id LIMIT ?', limit)
    const have = new Set(fresh.map((m) => m.seq))
    const changed = new Set<number>()
    const readers = new Set<string>()
    for (const r of outbox) {
      if (r.kind === 'read') readers.add(r.ref)
      else if (!have.has(Number(r.ref))) changed.add(Number(r.ref))
    }
    return {
      messages: [...fresh, ...this.#messagesBySeq([...changed])],
      reads: this.#reads([...readers]),
      outboxThrough: outbox.at(-1)?.id ?? 0,
      seqThrough: fresh.at(-1)?.seq ?? this.#indexedSeq,
      empty: !fresh.length && !outbox.length,
    }
  }

  /** Records that the D1 index has `batch` (changes made meanwhile stay pending). */
  indexed(batch: IndexBatch): void {
    if (batch.outboxThrough) this.#sql.exec('DELETE FROM outbox WHERE id <= ?', batch.outboxThrough)
    if (batch.seqThrough > this.#indexedSeq) {
      this.#indexedSeq = batch.seqThrough
      this.setMeta('indexed_seq', String(batch.seqThrough))
    }
  }

  /** Changes the D1 index does not have yet. */
  pendingIndexSize(): number {
    const outbox = this.#one<{ n: number }>('SELECT count(*) AS n FROM outbox')?.n ?? 0
    return outbox + (this.#indexed ? this.#lastSeq - this.#indexedSeq : 0)
  }

  #reads(userIds: string[]): { user_id: string; seq: number }[] {
    if (!userIds.length) return []
    return this.#all(
      `SELECT user_id, seq FROM reads WHERE user_id IN (${userIds.map(() => '?').join(',')})`,
      ...userIds,
    )
  }

  #messagesBySeq(seqs: number[]): StoredMessage[] {
    if (!seqs.length) return []
    return this.#all(`SELECT * FROM messages WHERE seq IN (${seqs.map(() => '?').join(',')})`, ...seqs)
  }

  // ── Layout migrations (objects created by older versions) ──────────────────────────────

  /**
   * Layout 1 had no `body` column, and Socket.IO rooms kept their own `chat_log` table
   * (seq, id, client_id, body, created_at): add the column and move those rows into `messages`
   * (same seq, id and body). Layouts 1 and 2 queued every new message in the outbox: start
   * `indexed_seq` at the newest message. Layouts before 4 had no `files` column. In one transaction.
   */
  #migrate(): void {
    const hasColumn = (name: string) => {
      try {
        this.#sql.exec(`SELECT ${name} FROM messages LIMIT 0`)
        return true
      } catch {
        return false
      }
    }
    const hasBody = hasColumn('body')
    const hasFiles = hasColumn('files')
    const legacy = this.#all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'chat_log'",
    ).length
    this.#storage.transactionSync(() => {
      if (!hasBody) this.#sql.exec('ALTER TABLE messages ADD COLUMN body TEXT')
      // Layout 4: messages carry their files.
      if (!hasFiles) this.#sql.exec('ALTER TABLE messages ADD COLUMN files TEXT')
      if (legacy) this.#importChatLog()
      // Layout 3: new messages are pending for the D1 index by seq, not by an outbox row each;
      // those an older layout queued are still in the outbox and flush from there.
      if (this.meta('indexed_seq') === undefined) {
        const last = this.#one<{ s: number | null }>('SELECT max(seq) AS s FROM messages')?.s ?? 0
        this.setMeta('indexed_seq', String(last))
      }
      this.setMeta('layout', LAYOUT)
    })
  }

  #importChatLog(): void {
    const rows = this.#all<{
      seq: number
      id: string
      client_id: string | null
      body: string
      created_at: number
    }>('SELECT seq, id, client_id, body, created_at FROM chat_log ORDER BY seq')
    for (const r of rows) {
      let m: { message?: unknown; sender?: { identity?: unknown; name?: unknown } } = {}
      try {
        m = JSON.parse(r.body) as typeof m
      } catch {
        /* kept as the body; the columns get what is known */
      }
      this.#sql.exec(
        `INSERT OR IGNORE INTO messages (seq, id, sender_id, sender_name, content, client_id, created_at, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        r.seq,
        r.id,
        String(m.sender?.identity ?? ''),
        String(m.sender?.name ?? ''),
        typeof m.message === 'string' ? m.message : JSON.stringify(m.message ?? ''),
        r.client_id,
        r.created_at,
        r.body,
      )
    }
    this.#sql.exec('DROP TABLE chat_log')
  }

  #one<T>(query: string, ...params: unknown[]): T | undefined {
    return this.#sql.exec(query, ...params).toArray()[0] as T | undefined
  }

  #all<T>(query: string, ...params: unknown[]): T[] {
    return this.#sql.exec(query, ...params).toArray() as T[]
  }
}
