import type { ChatLog, IndexBatch, StoredMessage } from './log'

const COLUMNS = `(id, chat_id, seq, sender_id, sender_name, content, type, files, reply_to, client_id, edited_at, deleted_at, created_at)`
const ROW = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
/** Rows per upsert statement: D1 binds at most 100 parameters per statement, 13 per row. */
const ROWS_PER_STATEMENT = 7
const upsert = (rows: number) =>
  `INSERT INTO messages ${COLUMNS} VALUES ${Array.from({ length: rows }, () => ROW).join(', ')}
  ON CONFLICT (id) DO UPDATE SET content = excluded.content, files = excluded.files, edited_at = excluded.edited_at, deleted_at = excluded.deleted_at`
const UPSERTS = Array.from({ length: ROWS_PER_STATEMENT + 1 }, (_, n) => (n ? upsert(n) : ''))
const ADVANCE_CHAT = `UPDATE chats SET last_seq = ?1, last_message_at = ?2 WHERE id = ?3 AND last_seq < ?1`
const ADVANCE_READ = `UPDATE chat_members SET last_read_seq = ?1 WHERE chat_id = ?2 AND user_id = ?3 AND last_read_seq < ?1`

/**
 * Copies a run of log changes to the D1 index in one batch (one D1 transaction): the current
 * state of each new or changed message (several rows per statement), the chat's newest seq, and
 * moved read pointers. Idempotent, so a retry after a failure (or a row written twice) does no
 * harm. Throws when D1 fails.
 */
export async function writeIndex(d1: D1Database, chatId: string, batch: IndexBatch): Promise<void> {
  const statements: D1PreparedStatement[] = []
  let newest: StoredMessage | undefined
  for (let i = 0; i < batch.messages.length; i += ROWS_PER_STATEMENT) {
    const rows = batch.messages.slice(i, i + ROWS_PER_STATEMENT)
    const params: unknown[] = []
    for (const m of rows) {
      params.push(
        m.id,
        chatId,
        m.seq,
        m.sender_id,
        m.sender_name,
        m.content,
        m.type,
        m.files,
        m.reply_to,
        m.client_id,
        m.edited_at,
        m.deleted_at,
        m.created_at,
      )
      if (!newest || m.seq > newest.seq) newest = m
    }
    statements.push(d1.prepare(UPSERTS[rows.length]).bind(...params))
  }
  if (newest) statements.push(d1.prepare(ADVANCE_CHAT).bind(newest.seq, newest.created_at, chatId))
  for (const r of batch.reads) statements.push(d1.prepare(ADVANCE_READ).bind(r.seq, chatId, r.user_id))
  if (statements.length) await d1.batch(statements)
}

/** How long changes collect before they are copied to the D1 index. */
const INDEX_DELAY_MS = 50
/** The alarm that catches up if the object is evicted before its timer fires. */
const SAFETY_FLUSH_MS = 5_000
const MAX_BACKOFF_MS = 60_000
/** Rows of each kind per flush step. */
const OUTBOX_BATCH = 90

/** What an index mirror needs from its object. */
export interface MirrorHost {
  /** Writes one run of changes to D1 (throws when D1 fails). */
  write(batch: IndexBatch): Promise<void>
  scheduleAlarm(at: number): void
  warn(fields: Record<string, unknown>): void
}

/**
 * Keeps a chat's D1 index (messages, the chat's newest seq, read pointers) in step with its log:
 * changes of the next INDEX_DELAY_MS share one D1 round trip, a flush under way picks up what
 * arrives meanwhile, failures retry with exponential backoff, and an alarm is the safety net
 * across eviction. The log stays the source of truth; the index may lag, never lose.
 */
export class IndexMirror {
  #log: ChatLog
  #host: MirrorHost
  #flushing = false
  #timer: ReturnType<typeof setTimeout> | undefined
  #failures = 0

  constructor(log: ChatLog, host: MirrorHost) {
    this.#log = log
    this.#host = host
  }

  /** A change is pending: flush it shortly. */
  changed(now: number): void {
    this.#host.scheduleAlarm(now + SAFETY_FLUSH_MS)
    if (this.#flushing || this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.flush()
    }, INDEX_DELAY_MS)
  }

  /** Copies everything pending now; on failure, schedules a retry. */
  async flush(): Promise<void> {
    if (this.#flushing) return
    this.#flushing = true
    try {
      for (;;) {
        const batch = this.#log.pendingIndex(OUTBOX_BATCH)
        if (batch.empty) break
        await this.#host.write(batch)
        this.#log.indexed(batch)
      }
      this.#failures = 0
    } catch (err) {
      this.#failures++
      this.#host.warn({ attempt: this.#failures, error: err })
      this.#host.scheduleAlarm(Date.now() + this.#backoff())
    } finally {
      this.#flushing = false
    }
  }

  /** The alarm rang: flush, and keep retrying while changes remain. */
  async onAlarm(now: number): Promise<void> {
    await this.flush()
    if (this.#log.pendingIndexSize() > 0) this.#host.scheduleAlarm(now + this.#backoff())
  }

  #backoff(): number {
    return Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.max(0, this.#failures - 1))
  }
}
