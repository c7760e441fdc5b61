import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { chatRoomStub, type ChatRoom } from './test-classes'
import { call, json } from '../helpers'
import { connect, groupWith, restSend } from '../chat-client'

const stub = chatRoomStub

async function indexed(chatId: string) {
  const { results } = await env.DB.prepare(
    'SELECT seq, content, deleted_at, edited_at FROM messages WHERE chat_id = ? ORDER BY seq',
  )
    .bind(chatId)
    .all<{ seq: number; content: string; deleted_at: number | null; edited_at: number | null }>()
  return results
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeout = 5000): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Changes the index does not have: outbox rows (edits, deletes, reads) and messages after indexed_seq. */
const outboxSize = (chatId: string) =>
  runInDurableObject(
    stub(chatId),
    (_r: ChatRoom, state) =>
      state.storage.sql
        .exec(
          `SELECT (SELECT count(*) FROM outbox) + (SELECT count(*) FROM messages
             WHERE seq > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'indexed_seq')) AS n`,
        )
        .one().n as number,
  )

describe('D1 index of the chat log', () => {
  it('should catch up with sends, edits, deletes and read pointers', async () => {
    const { chatId, users } = await groupWith(2)
    const a = await connect(users[0], chatId)
    for (let i = 1; i <= 5; i++) a.send({ type: 'send_message', room_id: chatId, content: `i${i}` })
    const acks = await a.take(5, (f) => f.type === 'message_ack')
    a.send({ type: 'edit_message', room_id: chatId, message_id: acks[1].message_id, content: 'i2 edited' })
    a.send({ type: 'delete_message', room_id: chatId, message_id: acks[2].message_id })
    await a.next((f) => f.type === 'message_deleted')
    const rows = await until(
      () => indexed(chatId),
      (r) => r.length === 5 && r[2].deleted_at !== null,
    )
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5])
    expect(rows[1]).toMatchObject({ content: 'i2 edited', edited_at: expect.any(Number) })
    expect(rows[2]).toMatchObject({ content: '', deleted_at: expect.any(Number) })
    const chat = await until(
      () =>
        env.DB.prepare('SELECT last_seq FROM chats WHERE id = ?').bind(chatId).first<{ last_seq: number }>(),
      (c) => c?.last_seq === 5,
    )
    expect(chat?.last_seq).toBe(5)
    // Unread counts (D1) for the other member: 4 live messages from someone else.
    const list = await json(await call('/api/v1/chats', { token: users[1].access_token }))
    const item = list.data.chats.find((c: any) => c.id === chatId)
    expect(item).toMatchObject({ unread_count: 4, last_seq: 5, last_message: { seq: 5, content: 'i5' } })
    await call(`/api/v1/chats/${chatId}/read`, {
      method: 'POST',
      token: users[1].access_token,
      json: { seq: 4 },
    })
    const after = await until(
      async () =>
        (await json(await call('/api/v1/chats', { token: users[1].access_token }))).data.chats.find(
          (c: any) => c.id === chatId,
        ),
      (c: any) => c.unread_count === 1,
    )
    expect(after).toMatchObject({ unread_count: 1, last_read_seq: 4 })
    expect(await outboxSize(chatId)).toBe(0)
    a.close()
  })

  it('should lose nothing when D1 fails during a flush, and catch up on the retry', async () => {
    const { chatId, users } = await groupWith(1)
    await restSend(users[0], chatId, { content: 'before' })
    await until(
      () => indexed(chatId),
      (r) => r.length === 1,
    )
    await runInDurableObject(stub(chatId), (room: ChatRoom) => {
      room.simulateIndexFailures = 1
    })
    const sent = await restSend(users[0], chatId, { content: 'during outage' })
    expect(sent.status).toBe(201)
    // Acknowledged, stored in the log and pending in the outbox; the index has not got it.
    expect(await outboxSize(chatId)).toBeGreaterThan(0)
    expect((await indexed(chatId)).map((r) => r.content)).toEqual(['before'])
    const history = await json(
      await call(`/api/v1/chats/${chatId}/messages`, { token: users[0].access_token }),
    )
    expect(history.data.messages.map((m: any) => m.content)).toEqual(['during outage', 'before'])
    // The retry (the alarm, which backs off) copies it.
    const alarmAt = await runInDurableObject(stub(chatId), (_r: ChatRoom, state) => state.storage.getAlarm())
    expect(alarmAt).not.toBeNull()
    await runDurableObjectAlarm(stub(chatId))
    const rows = await until(
      () => indexed(chatId),
      (r) => r.length === 2,
    )
    expect(rows.map((r) => r.content)).toEqual(['before', 'during outage'])
    expect(await outboxSize(chatId)).toBe(0)
  })

  it('should search within a chat from the index, without deleted messages', async () => {
    const { chatId, users } = await groupWith(1)
    await restSend(users[0], chatId, { content: 'The quick brown fox' })
    await restSend(users[0], chatId, { content: 'lazy dog' })
    const gone = await restSend(users[0], chatId, { content: 'another FOX' })
    await call(`/api/v1/chats/${chatId}/messages/${gone.body.data.id}`, {
      method: 'DELETE',
      token: users[0].access_token,
    })
    await until(
      () => indexed(chatId),
      (r) => r.length === 3 && r[2].deleted_at !== null,
    )
    const res = await json(
      await call(`/api/v1/chats/${chatId}/messages?q=fox`, { token: users[0].access_token }),
    )
    expect(res.data.messages.map((m: any) => m.content)).toEqual(['The quick brown fox'])
  })
})

describe('POST /api/v1/chats/:id/read', () => {
  it('should name a malformed seq', async () => {
    const { chatId, users } = await groupWith(1)
    const res = await call(`/api/v1/chats/${chatId}/read`, {
      method: 'POST',
      token: users[0].access_token,
      json: { seq: 'x' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields[0].path).toBe('seq')
  })
})
