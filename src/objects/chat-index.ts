import type { ChatLog, OutboxRow } from './chat-log'

const UPSERT_MESSAGE = `INSERT INTO messages
  (id, chat_id, seq, sender_id, sender_name, content, type, reply_to, client_id, edited_at, deleted_at, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET content = excluded.content, edited_at = excluded.edited_at, deleted_at = excluded.deleted_at`
const ADVANCE_CHAT = `UPDATE chats SET last_seq = ?1, last_message_at = ?2 WHERE id = ?3 AND last_seq < ?1`
const ADVANCE_READ = `UPDATE chat_members SET last_read_seq = ?1 WHERE chat_id = ?2 AND user_id = ?3 AND last_read_seq < ?1`

/**
 * Copies a run of outbox rows to the D1 index in one batch (one D1 transaction): the current
 * state of each changed message, the chat's newest seq, and moved read pointers. Idempotent, so
 * a retry after a failure (or a row flushed twice) does no harm. Throws when D1 fails.
 */
export async function writeIndex(d1: D1Database, chatId: string, rows: OutboxRow[], log: ChatLog) {
  const seqs = [...new Set(rows.filter((r) => r.kind === 'msg').map((r) => Number(r.ref)))]
  const readers = [...new Set(rows.filter((r) => r.kind === 'read').map((r) => r.ref))]
  const statements: D1PreparedStatement[] = []
  let newest: { seq: number; at: number } | undefined
  for (const m of log.messagesBySeq(seqs)) {
    statements.push(
      d1
        .prepare(UPSERT_MESSAGE)
        .bind(
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
        ),
    )
    if (!newest || m.seq > newest.seq) newest = { seq: m.seq, at: m.created_at }
  }
  if (newest) statements.push(d1.prepare(ADVANCE_CHAT).bind(newest.seq, newest.at, chatId))
  for (const r of log.reads(readers)) statements.push(d1.prepare(ADVANCE_READ).bind(r.seq, chatId, r.user_id))
  if (statements.length) await d1.batch(statements)
}
