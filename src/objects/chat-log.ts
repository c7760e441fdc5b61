/**
 * One chat's ordered message log in its Durable Object's SQLite storage — the source of truth.
 * Every method is synchronous: with no `await` between reading the last `seq` and writing the
 * next one, the object's single thread makes `seq` gap-free under any number of senders.
 * Alongside the log: read pointers, pending typing, followers in other objects, and the outbox
 * of changes waiting to be copied to the D1 index.
 */

/** A stored message row (snake_case, as SQLite returns it). */
export interface StoredMessage {
  seq: number
  id: string
  sender_id: string
  sender_name: string
  sender_email: string | null
  content: string
  type: string
  reply_to: string | null
  client_id: string | null
  created_at: number
  edited_at: number | null
  deleted_at: number | null
}

/** An outbox row: `msg` (ref = seq) or `read` (ref = user id), to copy to D1. */
export interface OutboxRow {
  id: number
  kind: 'msg' | 'read'
  ref: string
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
  reply_to TEXT,
  client_id TEXT,
  created_at INTEGER NOT NULL,
  edited_at INTEGER,
  deleted_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_client_uq ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS reads (user_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS typing (user_id TEXT PRIMARY KEY, name TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS followers (home TEXT NOT NULL, user_id TEXT NOT NULL, conns INTEGER NOT NULL, PRIMARY KEY (home, user_id));
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, ref TEXT NOT NULL);
`

/** The synchronous storage layer of a ChatRoom. */
export class ChatLog {
  #sql: SqlStorage
  #lastSeq: number

  #indexed: boolean

  /** `index: false` keeps no outbox: for logs that no D1 index mirrors (live chat). */
  constructor(sql: SqlStorage, options: { index?: boolean } = {}) {
    this.#sql = sql
    this.#indexed = options.index ?? true
    sql.exec(SCHEMA)
    this.#lastSeq = this.#one<{ s: number | null }>('SELECT max(seq) AS s FROM messages')?.s ?? 0
  }

  get lastSeq(): number {
    return this.#lastSeq
  }

  meta(key: string): string | undefined {
    return this.#one<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value
  }

  setMeta(key: string, value: string): void {
    this.#sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, value)
  }

  // ── Messages ───────────────────────────────────────────────────────────────────────────

  /** Appends a message with the next seq and queues it for the D1 index, in one write. */
  append(m: Omit<StoredMessage, 'seq' | 'edited_at' | 'deleted_at'>): StoredMessage {
    const row: StoredMessage = { ...m, seq: this.#lastSeq + 1, edited_at: null, deleted_at: null }
    this.#sql.exec(
      `INSERT INTO messages (seq, id, sender_id, sender_name, sender_email, content, type, reply_to, client_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.seq,
      row.id,
      row.sender_id,
      row.sender_name,
      row.sender_email,
      row.content,
      row.type,
      row.reply_to,
      row.client_id,
      row.created_at,
    )
    this.#lastSeq = row.seq
    this.enqueue('msg', String(row.seq))
    return row
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
    this.enqueue('msg', String(seq))
  }

  /** Soft delete: the row (its seq, sender, times) stays as a tombstone; the content is erased. */
  remove(seq: number, at: number): void {
    this.#sql.exec("UPDATE messages SET content = '', deleted_at = ? WHERE seq = ?", at, seq)
    this.enqueue('msg', String(seq))
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
    this.enqueue('read', userId)
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
  }

  /** Removes a user's typing row; true when there was one. */
  stopTyping(userId: string): boolean {
    return this.#sql.exec('DELETE FROM typing WHERE user_id = ?', userId).rowsWritten > 0
  }

  /** Removes and returns the typing rows that expired by `now`. */
  expireTyping(now: number): { user_id: string; name: string }[] {
    const rows = this.#all<{ user_id: string; name: string }>(
      'SELECT user_id, name FROM typing WHERE expires_at <= ?',
      now,
    )
    if (rows.length) this.#sql.exec('DELETE FROM typing WHERE expires_at <= ?', now)
    return rows
  }

  nextTypingExpiry(): number | undefined {
    return this.#one<{ t: number | null }>('SELECT min(expires_at) AS t FROM typing')?.t ?? undefined
  }

  // ── Followers (sockets in other chats' objects that joined this chat) ───────────────────

  /** Adds one connection of `userId` in object `home`; returns the user's remote connection count. */
  follow(home: string, userId: string): void {
    this.#sql.exec(
      `INSERT INTO followers (home, user_id, conns) VALUES (?, ?, 1)
       ON CONFLICT (home, user_id) DO UPDATE SET conns = conns + 1`,
      home,
      userId,
    )
  }

  unfollow(home: string, userId: string): void {
    this.#sql.exec('UPDATE followers SET conns = conns - 1 WHERE home = ? AND user_id = ?', home, userId)
    this.#sql.exec('DELETE FROM followers WHERE conns <= 0')
  }

  dropHome(home: string): void {
    this.#sql.exec('DELETE FROM followers WHERE home = ?', home)
  }

  dropFollower(userId: string): string[] {
    const homes = this.#all<{ home: string }>('SELECT home FROM followers WHERE user_id = ?', userId)
    this.#sql.exec('DELETE FROM followers WHERE user_id = ?', userId)
    return homes.map((h) => h.home)
  }

  /** Connections `userId` holds in other objects following this chat. */
  remoteConns(userId: string): number {
    return (
      this.#one<{ n: number | null }>('SELECT sum(conns) AS n FROM followers WHERE user_id = ?', userId)?.n ??
      0
    )
  }

  followerHomes(): string[] {
    return this.#all<{ home: string }>('SELECT DISTINCT home FROM followers').map((r) => r.home)
  }

  // ── Outbox to the D1 index ─────────────────────────────────────────────────────────────

  enqueue(kind: OutboxRow['kind'], ref: string): void {
    if (!this.#indexed) return
    this.#sql.exec('INSERT INTO outbox (kind, ref) VALUES (?, ?)', kind, ref)
  }

  outbox(limit: number): OutboxRow[] {
    return this.#all('SELECT id, kind, ref FROM outbox ORDER BY id LIMIT ?', limit)
  }

  outboxSize(): number {
    return this.#one<{ n: number }>('SELECT count(*) AS n FROM outbox')?.n ?? 0
  }

  /** Forgets outbox rows up to `maxId` once D1 has them. */
  clearOutbox(maxId: number): void {
    this.#sql.exec('DELETE FROM outbox WHERE id <= ?', maxId)
  }

  reads(userIds: string[]): { user_id: string; seq: number }[] {
    if (!userIds.length) return []
    return this.#all(
      `SELECT user_id, seq FROM reads WHERE user_id IN (${userIds.map(() => '?').join(',')})`,
      ...userIds,
    )
  }

  messagesBySeq(seqs: number[]): StoredMessage[] {
    if (!seqs.length) return []
    return this.#all(`SELECT * FROM messages WHERE seq IN (${seqs.map(() => '?').join(',')})`, ...seqs)
  }

  #one<T>(query: string, ...params: unknown[]): T | undefined {
    return this.#sql.exec(query, ...params).toArray()[0] as T | undefined
  }

  #all<T>(query: string, ...params: unknown[]): T[] {
    return this.#sql.exec(query, ...params).toArray() as T[]
  }
}
