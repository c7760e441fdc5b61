import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { chatRoomStub, type ChatRoom } from './test-classes'
import { call, json } from '../helpers'
import { connect, groupWith, openChatSocket, restSend } from '../chat-client'

const stub = chatRoomStub

describe('chat WebSocket: bad input', () => {
  it('should answer malformed, unknown and incomplete frames with error frames and keep working', async () => {
    const { chatId, users } = await groupWith(1)
    const a = await connect(users[0], chatId)
    a.send('{"type": "send_message", ')
    expect(await a.next((f) => f.type === 'error')).toMatchObject({
      code: 'bad_request',
      message: 'Malformed JSON',
    })
    a.send({ type: 'shout', room_id: chatId })
    const unknown = await a.next((f) => f.type === 'error')
    expect(unknown).toMatchObject({ code: 'bad_request', ref: 'shout' })
    expect(unknown.message).toContain('Unknown frame type "shout"')
    a.send({ type: 'send_message', room_id: chatId, client_id: 'x1' })
    const missing = await a.next((f) => f.type === 'error')
    expect(missing).toMatchObject({ code: 'validation_failed', client_id: 'x1', ref: 'send_message' })
    expect(missing.details.fields.map((f: any) => f.path)).toEqual(['content'])
    a.send({ room_id: chatId })
    expect(await a.next((f) => f.type === 'error')).toMatchObject({ code: 'validation_failed' })
    a.send('[1,2]')
    expect(await a.next((f) => f.type === 'error')).toMatchObject({ code: 'bad_request' })
    a.send({ type: 'mark_read', room_id: chatId, seq: -1 })
    expect((await a.next((f) => f.type === 'error')).details.fields[0].path).toBe('seq')
    // Still open and working; nothing was stored by the bad frames.
    a.send({ type: 'send_message', room_id: chatId, content: 'still here' })
    expect(await a.next((f) => f.type === 'message_ack')).toMatchObject({ seq: 1 })
    expect(a.closed).toBeUndefined()
    a.close()
  })

  it('should refuse commands for a room the socket has not joined', async () => {
    const { chatId, users } = await groupWith(1)
    const other = await groupWith(1)
    const a = await connect(users[0], chatId)
    a.send({ type: 'send_message', room_id: other.chatId, content: 'wrong room' })
    const err = await a.next((f) => f.type === 'error')
    expect(err).toMatchObject({
      code: 'forbidden',
      room_id: other.chatId,
      content: 'You must join the room first',
    })
    a.close()
  })
})

describe('chat WebSocket: limits', () => {
  it('should answer oversized frames and too many frames with errors, and keep the connection', async () => {
    const { chatId, users } = await groupWith(1)
    await runInDurableObject(stub(chatId), (room: ChatRoom) => {
      room.limitOverrides = { messagesPer10s: 5, maxMessageBytes: 1024 }
    })
    const a = await connect(users[0], chatId)
    a.send({ type: 'send_message', room_id: chatId, content: 'x'.repeat(2000) })
    expect(await a.next((f) => f.type === 'error')).toMatchObject({ code: 'payload_too_large' })
    for (let i = 0; i < 8; i++) a.send({ type: 'send_message', room_id: chatId, content: `r${i}` })
    const errors = await a.take(3, (f) => f.type === 'error' && f.code === 'rate_limited')
    expect(errors[0].message).toContain('5 messages per 10s')
    expect(errors[0]).toMatchObject({ ref: 'send_message', room_id: chatId })
    await a.take(5, (f) => f.type === 'message_ack')
    expect(await a.quiet((f) => f.type === 'message_ack' || f.type === 'error')).toBe(true)
    expect(a.closed).toBeUndefined()
    a.close()
  })

  it('should refuse a connection beyond the per-room limit with 503', async () => {
    const { chatId, users } = await groupWith(3)
    await runInDurableObject(stub(chatId), (room: ChatRoom) => {
      room.limitOverrides = { maxConnections: 2 }
    })
    const a = await connect(users[0], chatId)
    const b = await connect(users[1], chatId)
    const { client, res } = await openChatSocket(users[2].access_token, chatId)
    expect(client).toBeUndefined()
    expect(res.status).toBe(503)
    expect((await json(res)).error).toMatchObject({ code: 'rate_limited' })
    a.close()
    b.close()
  })

  it('should reject message content that is too long over REST naming the field', async () => {
    const { chatId, users } = await groupWith(1)
    const res = await restSend(users[0], chatId, { content: 'y'.repeat(8001) })
    expect(res.status).toBe(400)
    expect(res.body.error.details.fields[0].path).toBe('content')
  })
})

describe('chat WebSocket: edits, deletes, typing, read state, presence', () => {
  it('should deliver edits and deletes to every member and keep the tombstone in history', async () => {
    const { chatId, users } = await groupWith(3)
    const cs = await Promise.all(users.map((u) => connect(u, chatId)))
    cs[0].send({ type: 'send_message', room_id: chatId, content: 'draft' })
    const ack = await cs[0].next((f) => f.type === 'message_ack')
    cs[0].send({ type: 'edit_message', room_id: chatId, message_id: ack.message_id, content: 'final' })
    for (const c of cs) {
      expect(await c.next((f) => f.type === 'message_edited')).toMatchObject({
        message_id: ack.message_id,
        seq: 1,
        content: 'final',
        edited_at: expect.any(String),
      })
    }
    // Another member may neither edit nor delete it.
    cs[1].send({ type: 'edit_message', room_id: chatId, message_id: ack.message_id, content: 'hijack' })
    expect(await cs[1].next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden' })
    cs[1].send({ type: 'delete_message', room_id: chatId, message_id: ack.message_id })
    expect(await cs[1].next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden' })
    cs[0].send({ type: 'delete_message', room_id: chatId, message_id: ack.message_id })
    for (const c of cs) {
      expect(await c.next((f) => f.type === 'message_deleted')).toMatchObject({
        message_id: ack.message_id,
        seq: 1,
        user_uuid: users[0].id,
      })
    }
    const res = await json(await call(`/api/v1/chats/${chatId}/messages`, { token: users[2].access_token }))
    expect(res.data.messages).toEqual([
      expect.objectContaining({
        id: ack.message_id,
        seq: 1,
        deleted: true,
        content: '',
        deleted_at: expect.any(String),
      }),
    ])
    cs[0].send({ type: 'edit_message', room_id: chatId, message_id: ack.message_id, content: 'zombie' })
    expect(await cs[0].next((f) => f.type === 'error')).toMatchObject({ code: 'conflict' })
    for (const c of cs) c.close()
  })

  it('should let the owner delete a member message over REST and announce it', async () => {
    const { chatId, users } = await groupWith(2)
    const b = await connect(users[1], chatId)
    const sent = await restSend(users[1], chatId, { content: 'spam' })
    const del = await call(`/api/v1/chats/${chatId}/messages/${sent.body.data.id}`, {
      method: 'DELETE',
      token: users[0].access_token,
    })
    expect(del.status).toBe(200)
    expect((await json(del)).data).toMatchObject({ deleted: true, content: '' })
    expect(await b.next((f) => f.type === 'message_deleted')).toMatchObject({ user_uuid: users[0].id })
    b.close()
  })

  it('should announce typing to others and expire it on its own', async () => {
    const { chatId, users } = await groupWith(2)
    await runInDurableObject(stub(chatId), (room: ChatRoom) => {
      room.typingTtlMs = 200
    })
    const [a, b] = [await connect(users[0], chatId), await connect(users[1], chatId)]
    a.send({ type: 'typing_start', room_id: chatId })
    expect(await b.next((f) => f.type === 'typing')).toMatchObject({ user_uuid: users[0].id, typing: true })
    const stopped = await b.next((f) => f.type === 'typing', 5000)
    expect(stopped).toMatchObject({ user_uuid: users[0].id, typing: false })
    expect(a.ofType('typing')).toEqual([])
    a.send({ type: 'typing_start', room_id: chatId })
    await b.next((f) => f.type === 'typing' && f.typing)
    a.send({ type: 'typing_stop', room_id: chatId })
    expect(await b.next((f) => f.type === 'typing')).toMatchObject({ typing: false })
    a.close()
    b.close()
  })

  it('should keep a socket’s commands in order behind sends still being written (mark_read, typing)', async () => {
    const { chatId, users } = await groupWith(2)
    const [a, b] = [await connect(users[0], chatId), await connect(users[1], chatId)]
    // Sent in one go: the sends are written together, the others must still see them first.
    a.send({ type: 'send_message', room_id: chatId, content: 's1' })
    a.send({ type: 'send_message', room_id: chatId, content: 's2' })
    a.send({ type: 'mark_read', room_id: chatId, seq: 2 })
    a.send({ type: 'typing_start', room_id: chatId })
    const read = await b.next((f) => f.type === 'read')
    expect(read).toMatchObject({ user_uuid: users[0].id, seq: 2 })
    expect(await b.next((f) => f.type === 'typing')).toMatchObject({ typing: true })
    const order = b.frames
      .filter((f) => ['new_message', 'read', 'typing'].includes(f.type))
      .map((f) => f.type)
    expect(order).toEqual(['new_message', 'new_message', 'read', 'typing'])
    a.close()
    b.close()
  })

  it('should store read state, announce it, and clamp it to the newest message', async () => {
    const { chatId, users } = await groupWith(2)
    const [a, b] = [await connect(users[0], chatId), await connect(users[1], chatId)]
    for (let i = 0; i < 3; i++) await restSend(users[0], chatId, { content: `r${i}` })
    b.send({ type: 'mark_read', room_id: chatId, seq: 2 })
    expect(await a.next((f) => f.type === 'read')).toMatchObject({ user_uuid: users[1].id, seq: 2 })
    b.send({ type: 'mark_read', room_id: chatId, seq: 99 })
    expect(await a.next((f) => f.type === 'read')).toMatchObject({ seq: 3 })
    const res = await call(`/api/v1/chats/${chatId}/read`, { method: 'POST', token: users[1].access_token })
    expect((await json(res)).data).toEqual({ last_read_seq: 3, last_seq: 3 })
    a.close()
    b.close()
  })

  it('should announce joins and leaves of other users', async () => {
    const { chatId, users } = await groupWith(2)
    const a = await connect(users[0], chatId)
    const b = await connect(users[1], chatId)
    expect(await a.next((f) => f.type === 'user_joined' && f.user_uuid === users[1].id)).toMatchObject({
      room_id: chatId,
      data: { user_uuid: users[1].id },
    })
    expect(await a.next((f) => f.type === 'user_status' && f.user_uuid === users[1].id)).toMatchObject({
      status: 'online',
    })
    b.close()
    expect(await a.next((f) => f.type === 'user_left' && f.user_uuid === users[1].id)).toBeTruthy()
    a.close()
  })
})

describe("chat WebSocket: PUT /api/v1/users/status reaches the user's chats", () => {
  it('should send user_status with the chosen status to every chat of the user, and to no other', async () => {
    const { chatId, users } = await groupWith(2, 'Status')
    const other = await groupWith(1, 'Elsewhere')
    const watcher = await connect(users[1], chatId)
    const outsider = await connect(other.users[0], other.chatId)
    const res = await call('/api/v1/users/status', {
      method: 'PUT',
      token: users[0].access_token,
      json: { status: 'away' },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data.status).toBe('away')
    expect(await watcher.next((f) => f.type === 'user_status' && f.user_uuid === users[0].id)).toMatchObject({
      room_id: chatId,
      status: 'away',
      data: { user_id: users[0].id, status: 'away' },
    })
    await call('/api/v1/users/status', {
      method: 'PUT',
      token: users[0].access_token,
      json: { status: 'dnd' },
    })
    expect((await watcher.next((f) => f.type === 'user_status' && f.user_uuid === users[0].id)).status).toBe(
      'dnd',
    )
    expect(outsider.frames.filter((f) => f.type === 'user_status' && f.user_uuid === users[0].id)).toEqual([])
    watcher.close()
    outsider.close()
  })

  it('should refuse an unknown status with 400 naming the field, announcing nothing', async () => {
    const { chatId, users } = await groupWith(2, 'Status bad')
    const watcher = await connect(users[1], chatId)
    const res = await call('/api/v1/users/status', {
      method: 'PUT',
      token: users[0].access_token,
      json: { status: 'sleeping' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields[0].path).toBe('status')
    await new Promise((r) => setTimeout(r, 200))
    expect(watcher.frames.filter((f) => f.type === 'user_status' && f.user_uuid === users[0].id)).toEqual([])
    watcher.close()
  })
})

describe('chat WebSocket: batched frames (opt-in)', () => {
  it('should coalesce frames of one turn into a JSON array only for batch=1 sockets', async () => {
    const { chatId, users } = await groupWith(2)
    const a = await connect(users[0], chatId, { batch: '1' })
    const b = await connect(users[1], chatId)
    a.send({ type: 'send_message', room_id: chatId, content: 'batched' })
    await a.next((f) => f.type === 'message_ack')
    const raw = a.raw.find((r) => r.includes('message_ack'))!
    const frames = JSON.parse(raw)
    expect(Array.isArray(frames)).toBe(true)
    expect(frames.map((f: any) => f.type)).toEqual(['new_message', 'message_ack'])
    expect(a.raw.every((r) => r.startsWith('['))).toBe(true)
    await b.next((f) => f.type === 'new_message')
    expect(b.raw.every((r) => r.startsWith('{'))).toBe(true)
    a.close()
    b.close()
  })
})
