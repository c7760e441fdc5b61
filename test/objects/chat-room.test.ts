import { describe, expect, it } from 'vitest'
import { call, json, registerUser } from '../helpers'
import { connect, groupWith, openChatSocket, restSend } from '../chat-client'

describe('chat WebSocket: real-time messaging', () => {
  it('should deliver a message from one user to another in real time, acked with its seq', async () => {
    const { chatId, users } = await groupWith(2)
    const [a, b] = [await connect(users[0], chatId), await connect(users[1], chatId)]
    a.send({ type: 'send_message', room_id: chatId, content: 'hello', client_id: 'c1' })
    const ack = await a.next((f) => f.type === 'message_ack')
    expect(ack).toMatchObject({ room_id: chatId, client_id: 'c1', seq: 1, duplicate: false })
    const got = await b.next((f) => f.type === 'new_message')
    expect(got).toMatchObject({
      type: 'new_message',
      room_id: chatId,
      seq: 1,
      user_uuid: users[0].id,
      content: 'hello',
      message_id: ack.message_id,
      data: {
        message_id: ack.message_id,
        content: 'hello',
        user_uuid: users[0].id,
        user_fullname: users[0].name,
        user_email: users[0].email,
      },
    })
    expect(new Date(got.timestamp).toISOString()).toBe(got.timestamp)
    expect(got.data.created_at).toBe(got.timestamp)
    a.close()
    b.close()
  })

  it('should answer a REST send with the golden-path shape and deliver it to sockets', async () => {
    const { chatId, users } = await groupWith(2)
    const b = await connect(users[1], chatId)
    const { status, body } = await restSend(users[0], chatId, { content: 'via rest' })
    expect(status).toBe(201)
    expect(body.data).toMatchObject({
      id: expect.any(String),
      seq: 1,
      chat_id: chatId,
      sender: { id: users[0].id, name: users[0].name },
      content: 'via rest',
      created_at: expect.any(String),
    })
    const got = await b.next((f) => f.type === 'new_message')
    expect(got.message_id).toBe(body.data.id)
    b.close()
  })
})

describe('chat WebSocket: refusals before the upgrade', () => {
  it('should refuse a non-member with 403 and no socket', async () => {
    const { chatId } = await groupWith(1)
    const stranger = await registerUser()
    const { client, res } = await openChatSocket(stranger.access_token, chatId)
    expect(client).toBeUndefined()
    expect(res.status).toBe(403)
    expect((await json(res)).error.code).toBe('forbidden')
  })

  it('should refuse a missing or bad token with 401', async () => {
    const { chatId } = await groupWith(1)
    expect((await openChatSocket(undefined, chatId)).res.status).toBe(401)
    expect((await openChatSocket('not.a.jwt', chatId)).res.status).toBe(401)
  })

  it('should refuse REST reads and writes of a non-member with 403', async () => {
    const { chatId } = await groupWith(1)
    const stranger = await registerUser()
    expect((await restSend(stranger, chatId, { content: 'x' })).status).toBe(403)
    const res = await call(`/api/v1/chats/${chatId}/messages`, { token: stranger.access_token })
    expect(res.status).toBe(403)
  })
})
