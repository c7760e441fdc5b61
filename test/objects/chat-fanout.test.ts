import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { chatRoomStub, type ChatRoom } from './test-classes'
import { call, json, registerUser } from '../helpers'
import { connect, groupWith, openChatSocket, restSend } from '../chat-client'

const stub = chatRoomStub

/** Two group chats X and Y whose members are the same users. */
async function twoChats(n = 2) {
  const x = await groupWith(n, 'X')
  const res = await call('/api/v1/chats', {
    method: 'POST',
    token: x.users[0].access_token,
    json: { type: 'group', name: 'Y', member_ids: x.users.slice(1).map((u) => u.id) },
  })
  const y = (await json(res)).data.id as string
  return { x: x.chatId, y, users: x.users }
}

describe('join_room of another chat on the same connection (fan-out across objects)', () => {
  it('should receive, send to and leave a second chat through the home object', async () => {
    const { x, y, users } = await twoChats()
    const a = await connect(users[0], x)
    const b = await connect(users[1], y)
    a.send({ type: 'join_room', room_id: y })
    expect(await a.next((f) => f.type === 'user_joined' && f.room_id === y)).toMatchObject({
      user_uuid: users[0].id,
    })
    expect(await b.next((f) => f.type === 'user_joined' && f.user_uuid === users[0].id)).toMatchObject({
      room_id: y,
    })
    b.send({ type: 'send_message', room_id: y, content: 'from y' })
    expect(await a.next((f) => f.type === 'new_message' && f.room_id === y)).toMatchObject({
      content: 'from y',
      seq: 1,
    })
    a.send({ type: 'send_message', room_id: y, content: 'to y', client_id: 'cy' })
    expect(await a.next((f) => f.type === 'message_ack')).toMatchObject({
      room_id: y,
      seq: 2,
      client_id: 'cy',
    })
    expect(await b.next((f) => f.type === 'new_message' && f.seq === 2)).toMatchObject({
      user_uuid: users[0].id,
    })
    // Duplicate client_id through the forwarding path is acked with the first id.
    a.send({ type: 'send_message', room_id: y, content: 'to y', client_id: 'cy' })
    expect(await a.next((f) => f.type === 'message_ack')).toMatchObject({ seq: 2, duplicate: true })
    // Its own chat still works on the same socket.
    a.send({ type: 'send_message', room_id: x, content: 'home' })
    expect(await a.next((f) => f.type === 'message_ack')).toMatchObject({ room_id: x, seq: 1 })
    a.send({ type: 'leave_room', room_id: y })
    await a.next((f) => f.type === 'user_left' && f.room_id === y)
    expect(await b.next((f) => f.type === 'user_left' && f.user_uuid === users[0].id)).toBeTruthy()
    b.send({ type: 'send_message', room_id: y, content: 'after leave' })
    await b.next((f) => f.type === 'message_ack')
    expect(await a.quiet((f) => f.type === 'new_message' && f.content === 'after leave', 300)).toBe(true)
    a.send({ type: 'send_message', room_id: y, content: 'not joined' })
    expect(await a.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', room_id: y })
    a.close()
    b.close()
  })

  it('should forward each event once per home object, not once per socket', async () => {
    const { x, y, users } = await twoChats(3)
    const a1 = await connect(users[0], x)
    const a2 = await connect(users[1], x)
    for (const c of [a1, a2]) {
      c.send({ type: 'join_room', room_id: y })
      await c.next((f) => f.type === 'user_joined' && f.room_id === y)
    }
    await new Promise((r) => setTimeout(r, 100))
    const before = await runInDurableObject(stub(x), (room: ChatRoom) => room.deliveries)
    await restSend(users[2], y, { content: 'one event' })
    await a1.next((f) => f.type === 'new_message' && f.room_id === y)
    await a2.next((f) => f.type === 'new_message' && f.room_id === y)
    const after = await runInDurableObject(stub(x), (room: ChatRoom) => room.deliveries)
    expect(after - before).toBe(1)
    a1.close()
    a2.close()
  })

  it('should refuse join_room of a chat the user is not a member of, and keep the socket working', async () => {
    const { chatId, users } = await groupWith(1)
    const other = await groupWith(1)
    const a = await connect(users[0], chatId)
    a.send({ type: 'join_room', room_id: other.chatId })
    expect(await a.next((f) => f.type === 'error')).toMatchObject({
      code: 'forbidden',
      room_id: other.chatId,
    })
    a.send({ type: 'send_message', room_id: other.chatId, content: 'sneak' })
    expect(await a.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden' })
    a.send({ type: 'send_message', room_id: chatId, content: 'fine' })
    expect(await a.next((f) => f.type === 'message_ack')).toMatchObject({ seq: 1 })
    a.close()
  })

  it('should count sockets following from other objects toward the per-room connection limit', async () => {
    const { x, y, users } = await twoChats(3)
    await runInDurableObject(stub(y), (room: ChatRoom) => {
      room.limitOverrides = { maxConnections: 2 }
    })
    const inY = await connect(users[1], y)
    const follower = await connect(users[0], x)
    follower.send({ type: 'join_room', room_id: y })
    expect(await follower.next((f) => f.type === 'user_joined' && f.room_id === y)).toBeTruthy()
    // Y holds one socket and one follower: full, both for a direct connection and for another follower.
    const direct = await openChatSocket(users[2].access_token, y)
    expect(direct.res.status).toBe(503)
    expect((await json(direct.res)).error).toMatchObject({ code: 'rate_limited', message: 'Room is full' })
    const second = await connect(users[2], x)
    second.send({ type: 'join_room', room_id: y })
    expect(await second.next((f) => f.type === 'error')).toMatchObject({ code: 'rate_limited', room_id: y })
    // The follower leaves: a place frees.
    follower.send({ type: 'leave_room', room_id: y })
    expect(await follower.next((f) => f.type === 'user_left' && f.room_id === y)).toBeTruthy()
    const followers = () =>
      runInDurableObject(stub(y), (_room: ChatRoom, state) =>
        Number(state.storage.sql.exec('SELECT coalesce(sum(conns), 0) AS n FROM fanout_followers').one().n),
      )
    for (let i = 0; i < 50 && (await followers()) > 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(await followers()).toBe(0)
    second.send({ type: 'join_room', room_id: y })
    expect(await second.next((f) => f.type === 'user_joined' && f.room_id === y)).toBeTruthy()
    for (const c of [inY, follower, second]) c.close()
  })

  it('should replay missed messages of the joined chat with since', async () => {
    const { x, y, users } = await twoChats()
    for (let i = 1; i <= 3; i++) await restSend(users[1], y, { content: `y${i}` })
    const a = await connect(users[0], x)
    a.send({ type: 'join_room', room_id: y, since: 1 })
    const replayed = await a.take(2, (f) => f.type === 'new_message' && f.room_id === y)
    expect(replayed.map((f) => f.content)).toEqual(['y2', 'y3'])
    a.close()
  })

  it('should stop delivering a chat to a removed member at once', async () => {
    const { x, y, users } = await twoChats(3)
    const home = await connect(users[1], y)
    const away = await connect(users[2], x)
    away.send({ type: 'join_room', room_id: y })
    await away.next((f) => f.type === 'user_joined' && f.room_id === y)
    const owner = users[0]
    for (const target of [users[1], users[2]]) {
      const res = await call(`/api/v1/chats/${y}/members/${target.id}`, {
        method: 'DELETE',
        token: owner.access_token,
      })
      expect(res.status).toBe(200)
    }
    expect(await home.next((f) => f.type === 'error' && f.room_id === y)).toMatchObject({ code: 'forbidden' })
    expect(await away.next((f) => f.type === 'error' && f.room_id === y)).toMatchObject({ code: 'forbidden' })
    await restSend(owner, y, { content: 'secret' })
    expect(await home.quiet((f) => f.content === 'secret', 300)).toBe(true)
    expect(await away.quiet((f) => f.content === 'secret', 10)).toBe(true)
    home.send({ type: 'send_message', room_id: y, content: 'still?' })
    expect(await home.next((f) => f.type === 'error' && f.ref === 'send_message')).toMatchObject({
      code: 'forbidden',
    })
    home.close()
    away.close()
    // A stranger's user id cannot be removed (not a member).
    const stranger = await registerUser()
    const res = await call(`/api/v1/chats/${y}/members/${stranger.id}`, {
      method: 'DELETE',
      token: owner.access_token,
    })
    expect(res.status).toBe(404)
  })
})
