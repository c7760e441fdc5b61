import type { IndexBatch, StoredMessage } from './chat-log'

const COLUMNS = `(id, chat_id, seq, sender_id, sender_name, content, type, reply_to, client_id, edited_at, deleted_at, created_at)`
const ROW = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
/** Rows per upsert statement: D1 binds at most 100 parameters per statement, 12 per row. */
const ROWS_PER_STATEMENT = 8
const upsert = (rows: number) =>
  `INSERT INTO messages ${COLUMNS} VALUES ${Array.from({ length: rows }, () => ROW).join(', ')}
  ON CONFLICT (id) DO UPDATE SET content = excluded.content, edited_at = excluded.edited_at, deleted_at = excluded.deleted_at`
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
