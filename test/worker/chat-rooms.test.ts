import { describe, expect, it } from 'vitest'
import { connect, groupWith, openChatSocket, restSend } from '../chat-client'
import { call, json, registerUser, type TestUser } from '../helpers'

// Seed 003's own routes: join by id, a room's realtime status, and the socket opened with only a token.

const join = (roomId: string, user: TestUser) =>
  call(`/api/v1/rooms/${roomId}/join`, { method: 'POST', token: user.access_token })
const status = (roomId: string, user: TestUser) =>
  call(`/api/v1/chat/rooms/${roomId}/status`, { token: user.access_token })

describe('POST /api/v1/rooms/:roomID/join', () => {
  it('should join a group by id as a member, idempotently, with the rules of joining by code', async () => {
    const { chatId } = await groupWith(1)
    const joiner = await registerUser()
    const res = await join(chatId, joiner)
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ id: chatId, role: 'member', member_count: 2 })
    const again = await join(chatId, joiner)
    expect((await json(again)).data).toMatchObject({ id: chatId, role: 'member', member_count: 2 })
    // Now a member: the chat's messages are theirs to read.
    expect((await call(`/api/v1/chats/${chatId}/messages`, { token: joiner.access_token })).status).toBe(200)
    expect((await join('no-such-room', joiner)).status).toBe(404)
    expect((await call(`/api/v1/rooms/${chatId}/join`, { method: 'POST' })).status).toBe(401)
  })

  it('should refuse a direct chat (opened, never joined) and keep an owner’s role', async () => {
    const [a, b, c] = [await registerUser(), await registerUser(), await registerUser()]
    const direct = await call('/api/v1/chats', {
      method: 'POST',
      token: a.access_token,
      json: { type: 'direct', user_id: b.id },
    })
    const res = await join((await json(direct)).data.id, c)
    expect(res.status).toBe(403)
    expect((await json(res)).error.message).toContain('Direct chats')
    const { chatId, users } = await groupWith(1)
    expect((await json(await join(chatId, users[0]))).data.role).toBe('owner')
  })
})

describe('GET /api/v1/chat/rooms/:roomID/status', () => {
  it('should list who is connected (sockets in the chat and following it) with counts, and the newest seq', async () => {
    const { chatId, users } = await groupWith(3)
    const [a, b, c] = users
    const quiet = await json(await status(chatId, c))
    expect(quiet.data).toEqual({ room_id: chatId, last_seq: 0, connections: 0, users: [] })

    const a1 = await connect(a, chatId)
    const a2 = await connect(a, chatId)
    // b follows the chat from a socket opened with only a token.
    const { client: b1 } = await openChatSocket(b.access_token, undefined)
    b1!.send({ type: 'join_room', room_id: chatId })
    await b1!.next((f) => f.type === 'user_joined' && f.user_uuid === b.id)
    await restSend(c, chatId, { content: 'one' })
    await restSend(c, chatId, { content: 'two' })

    const res = await status(chatId, c)
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(data).toMatchObject({ room_id: chatId, last_seq: 2, connections: 3 })
    expect(data.users.sort((x: any, y: any) => x.connections - y.connections)).toEqual([
      { user_id: b.id, name: b.name, connections: 1 },
      { user_id: a.id, name: a.name, connections: 2 },
    ])

    a2.close()
    b1!.close()
    await expect
      .poll(async () => (await json(await status(chatId, c))).data.connections, { timeout: 5000 })
      .toBe(1)
    a1.close()
  })

  it('should answer members only: 403 for others, 404 for no such chat', async () => {
    const { chatId } = await groupWith(1)
    const outsider = await registerUser()
    expect((await status(chatId, outsider)).status).toBe(403)
    expect((await status('no-such-room', outsider)).status).toBe(404)
    expect((await call(`/api/v1/chat/rooms/${chatId}/status`)).status).toBe(401)
  })
})

describe('JSON socket opened with only a token (seed 003’s client)', () => {
  it('should open in no chat, refuse commands until join_room, then work like any socket', async () => {
    const { chatId, users } = await groupWith(2)
    const [me, other] = users
    await restSend(other, chatId, { content: 'before' })
    const { client, res } = await openChatSocket(me.access_token, undefined)
    expect(res.status).toBe(101)
    const ws = client!
    ws.send({ type: 'send_message', room_id: chatId, content: 'too early', client_id: 'e1' })
    expect(await ws.next((f) => f.type === 'error')).toMatchObject({
      code: 'forbidden',
      content: 'You must join the room first',
    })

    const peer = await connect(other, chatId)
    // Seed 003 clients send numeric-looking ids too; since replays what was missed.
    ws.send({ type: 'join_room', room_id: chatId, since: 0 })
    expect(await ws.next((f) => f.type === 'user_joined')).toMatchObject({
      room_id: chatId,
      user_uuid: me.id,
    })
    expect(await ws.next((f) => f.type === 'new_message')).toMatchObject({ content: 'before', seq: 1 })
    await peer.next((f) => f.type === 'user_joined' && f.user_uuid === me.id)

    ws.send({ type: 'send_message', room_id: chatId, content: 'hello', client_id: 'h1' })
    expect(await ws.next((f) => f.type === 'message_ack')).toMatchObject({ room_id: chatId, seq: 2 })
    expect(await peer.next((f) => f.type === 'new_message')).toMatchObject({
      content: 'hello',
      user_uuid: me.id,
    })

    ws.send({ type: 'leave_room', room_id: chatId })
    await peer.next((f) => f.type === 'user_left' && f.user_uuid === me.id)
    ws.close()
    peer.close()
  })

  it('should refuse join_room of a chat the user is not in, and of its own home', async () => {
    const { chatId } = await groupWith(1)
    const stranger = await registerUser()
    const { client } = await openChatSocket(stranger.access_token, undefined)
    client!.send({ type: 'join_room', room_id: chatId })
    expect(await client!.next((f) => f.type === 'error')).toMatchObject({
      code: 'forbidden',
      room_id: chatId,
    })
    client!.send({ type: 'join_room', room_id: `~user:${stranger.id}` })
    expect(await client!.next((f) => f.type === 'error')).toMatchObject({ code: 'not_found' })
    client!.close()
  })

  it('should answer 400 naming since when it comes without room_id, and 401 without a token', async () => {
    const u = await registerUser()
    const { res } = await openChatSocket(u.access_token, undefined, { since: '3' })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields.map((f: any) => f.path)).toEqual(['since'])
    expect((await openChatSocket(undefined, undefined)).res.status).toBe(401)
  })
})
