import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ChatLog, type NewMessage } from '../../src/objects/room/log'
import type { ConferenceRoom } from '../../src/objects/conference-room'

let n = 0
/** A fresh object whose storage no chat log has touched yet (ConferenceRoom opens its log lazily). */
const fresh = () => env.CONFERENCE_ROOM.get(env.CONFERENCE_ROOM.idFromName(`log-${Date.now()}-${++n}`))

const msg = (sender: string, client_id: string | null, content = 'hi'): NewMessage => ({
  id: `id-${++n}`,
  sender_id: sender,
  sender_name: sender.toUpperCase(),
  sender_email: null,
  content,
  type: 'text',
  files: null,
  reply_to: null,
  client_id,
  created_at: 1_700_000_000_000,
})

describe('ChatLog', () => {
  it('should assign gap-free seqs, continue them after a wake, and store each client_id once per sender', async () => {
    await runInDurableObject(fresh(), (_o: ConferenceRoom, state) => {
      const log = new ChatLog(state.storage, { index: false })
      expect(log.append(msg('a', 'c1')).row.seq).toBe(1)
      expect(log.append(msg('b', 'c1'))).toMatchObject({ created: true, row: { seq: 2 } })
      const again = log.append(msg('a', 'c1', 'changed'))
      expect(again).toMatchObject({ created: false, row: { seq: 1, content: 'hi' } })
      expect(log.append(msg('a', null), '{"k":1}').row).toMatchObject({ seq: 3, body: '{"k":1}' })
      // A new instance on the same storage (the object woke up) reads the last seq once.
      const woke = new ChatLog(state.storage, { index: false })
      expect(woke.lastSeq).toBe(3)
      expect(woke.append(msg('c', null)).row.seq).toBe(4)
      expect(woke.after(0, 10).map((m) => m.seq)).toEqual([1, 2, 3, 4])
    })
  })

  it('should skip typing cleanup when no one types, and still clear a typing row', async () => {
    await runInDurableObject(fresh(), (_o: ConferenceRoom, state) => {
      const log = new ChatLog(state.storage, { index: false })
      expect(log.stopTyping('a')).toBe(false)
      log.startTyping('a', 'A', Date.now() + 5000)
      log.startTyping('a', 'A', Date.now() + 6000)
      expect(log.stopTyping('b')).toBe(false)
      expect(log.stopTyping('a')).toBe(true)
      expect(log.stopTyping('a')).toBe(false)
      log.startTyping('b', 'B', 0)
      expect(log.expireTyping(Date.now())).toEqual([{ user_id: 'b', name: 'B' }])
      expect(new ChatLog(state.storage).nextTypingExpiry()).toBeUndefined()
    })
  })

  it('should migrate an object of the previous layout: add the body column, move the Socket.IO chat_log in', async () => {
    await runInDurableObject(fresh(), async (room: ConferenceRoom, state) => {
      const sql = state.storage.sql
      // Layout 1: `messages` without `body`, and the Socket.IO room's own table beside it.
      sql.exec(`CREATE TABLE messages (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, sender_id TEXT NOT NULL,
        sender_name TEXT NOT NULL, sender_email TEXT, content TEXT NOT NULL, type TEXT NOT NULL DEFAULT 'text',
        reply_to TEXT, client_id TEXT, created_at INTEGER NOT NULL, edited_at INTEGER, deleted_at INTEGER)`)
      sql.exec(`CREATE TABLE chat_log (
        seq INTEGER PRIMARY KEY, id TEXT NOT NULL, client_id TEXT UNIQUE, body TEXT NOT NULL, created_at INTEGER NOT NULL)`)
      const old = (seq: number, clientId: string | null, message: unknown) =>
        sql.exec(
          'INSERT INTO chat_log (seq, id, client_id, body, created_at) VALUES (?, ?, ?, ?, ?)',
          seq,
          `old-${seq}`,
          clientId,
          JSON.stringify({
            message,
            id: `old-${seq}`,
            seq,
            room: 'r',
            sender: { identity: 'u1', name: 'U1' },
            ...(clientId ? { client_id: clientId } : {}),
            created_at: '2026-01-01T00:00:00.000Z',
            extra: 1,
          }),
          1_767_225_600_000,
        )
      old(1, 'k1', 'first')
      old(2, null, { nested: true })
      const history = await room.chatHistory(undefined, 10, 'r')
      expect(history.map((m) => [m.seq, m.id, m.message])).toEqual([
        [1, 'old-1', 'first'],
        [2, 'old-2', { nested: true }],
      ])
      expect(history[0]).toMatchObject({ extra: 1, sender: { identity: 'u1', name: 'U1' } })
      expect(sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'chat_log'").one().n).toBe(0)
      const log = new ChatLog(state.storage, { index: false })
      expect(log.byClientId('u1', 'k1')).toMatchObject({ seq: 1, content: 'first' })
      expect(log.append(msg('u1', 'k1'))).toMatchObject({ created: false, row: { seq: 1 } })
      expect(log.append(msg('u1', 'k2'))).toMatchObject({ created: true, row: { seq: 3, body: null } })
      expect(log.meta('layout')).toBe('4')
    })
  })

  it('should migrate a layout 3 object: add the files column, keep its messages and their seqs', async () => {
    await runInDurableObject(fresh(), (_o: ConferenceRoom, state) => {
      const sql = state.storage.sql
      // Layout 3: `messages` with `body` but without `files`.
      sql.exec(`CREATE TABLE messages (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, sender_id TEXT NOT NULL,
        sender_name TEXT NOT NULL, sender_email TEXT, content TEXT NOT NULL, type TEXT NOT NULL DEFAULT 'text',
        reply_to TEXT, client_id TEXT, created_at INTEGER NOT NULL, edited_at INTEGER, deleted_at INTEGER, body TEXT)`)
      sql.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
      sql.exec("INSERT INTO meta (key, value) VALUES ('layout', '3'), ('indexed_seq', '1')")
      sql.exec(
        "INSERT INTO messages (seq, id, sender_id, sender_name, content, created_at) VALUES (1, 'm1', 'u', 'U', 'old', 1)",
      )
      const log = new ChatLog(state.storage, { index: false })
      expect(log.meta('layout')).toBe('4')
      expect(log.bySeq(1)).toMatchObject({ content: 'old', type: 'text', files: null })
      const files = JSON.stringify([
        { id: 'f1', filename: 'a.png', mime_type: 'image/png', size: 1, url: '/x' },
      ])
      const { row } = log.append({ ...msg('u', null), type: 'image', files })
      expect(row.seq).toBe(2)
      expect(log.bySeq(2)).toMatchObject({ type: 'image', files })
      log.remove(2, Date.now())
      expect(log.bySeq(2)).toMatchObject({ content: '', files: null })
    })
  })

  it('should keep what an older layout queued for the D1 index, and index new messages by seq', async () => {
    await runInDurableObject(fresh(), (_o: ConferenceRoom, state) => {
      const older = new ChatLog(state.storage)
      for (const c of ['a', 'b', 'c']) older.append(msg('u', c))
      // As layout 2 left it: seqs 1 and 2 indexed, 3 still queued in the outbox, no indexed_seq.
      const sql = state.storage.sql
      sql.exec("DELETE FROM meta WHERE key IN ('indexed_seq', 'layout')")
      sql.exec("INSERT INTO meta (key, value) VALUES ('layout', '2')")
      sql.exec("INSERT INTO outbox (kind, ref) VALUES ('msg', '3')")
      const log = new ChatLog(state.storage)
      expect(log.meta('indexed_seq')).toBe('3')
      log.append(msg('u', 'd'))
      log.markRead('r1', 2, Date.now())
      expect(log.pendingIndexSize()).toBe(3)
      const batch = log.pendingIndex(90)
      expect(batch.messages.map((m) => m.seq).sort()).toEqual([3, 4])
      expect(batch.reads).toEqual([{ user_id: 'r1', seq: 2 }])
      // A change made while the batch is being written stays pending.
      log.edit(4, 'edited', Date.now())
      log.indexed(batch)
      expect(log.pendingIndexSize()).toBe(1)
      expect(log.pendingIndex(90).messages).toMatchObject([{ seq: 4, content: 'edited' }])
    })
  })
})
