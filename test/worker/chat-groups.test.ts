import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { db } from '../../src/worker/db/client'
import { chatMembers, messages } from '../../src/worker/db/schema'
import { connect, groupWith, openChatSocket, restSend } from '../chat-client'
import { call, json, registerUser, type TestUser } from '../helpers'
import { chatRoomStub } from '../objects/test-classes'

// Seed 001 `PUT/DELETE /api/groups/{id}` as `PUT/DELETE /api/v1/chats/{id}`.

const put = (chatId: string, user: TestUser, body: unknown) =>
  call(`/api/v1/chats/${chatId}`, { method: 'PUT', token: user.access_token, json: body })
const del = (chatId: string, user: TestUser) =>
  call(`/api/v1/chats/${chatId}`, { method: 'DELETE', token: user.access_token })

/** Makes `user` an admin of the chat (as its owner). */
async function promote(chatId: string, owner: TestUser, user: TestUser) {
  const res = await call(`/api/v1/chats/${chatId}/members/${user.id}`, {
    method: 'PATCH',
    token: owner.access_token,
    json: { role: 'admin' },
  })
  expect(res.status).toBe(200)
}

const png = () =>
  new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])], 'p.png', {
    type: 'image/png',
  })

describe('PUT /api/v1/chats/:id', () => {
  it('should let the owner and admins change name, description and avatar, and tell every socket in the chat', async () => {
    const { chatId, users } = await groupWith(3, 'Before')
    const [owner, admin, member] = users
    await promote(chatId, owner, admin)
    const here = await connect(member, chatId)
    // A socket homed in another chat that follows this one with join_room.
    const other = await groupWith(1, 'Elsewhere')
    await call(`/api/v1/chats/${other.chatId}/members`, {
      method: 'POST',
      token: other.users[0].access_token,
      json: { user_ids: [member.id] },
    })
    const away = await connect(member, other.chatId)
    away.send({ type: 'join_room', room_id: chatId })
    await away.next((f) => f.type === 'user_joined' && f.room_id === chatId)

    const res = await put(chatId, owner, {
      name: 'After',
      description: 'About',
      avatar_url: 'https://x.test/a.png',
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({
      id: chatId,
      name: 'After',
      description: 'About',
      avatar_url: 'https://x.test/a.png',
      role: 'owner',
    })
    for (const s of [here, away]) {
      const f = await s.next((x) => x.type === 'chat_updated')
      expect(f).toMatchObject({
        room_id: chatId,
        user_uuid: owner.id,
        data: { id: chatId, name: 'After', description: 'About', avatar_url: 'https://x.test/a.png' },
      })
    }

    // An admin may too; null clears, omitted fields stay.
    const cleared = await put(chatId, admin, { description: null })
    expect(cleared.status).toBe(200)
    expect((await json(cleared)).data).toMatchObject({ name: 'After', description: null })
    expect(await here.next((x) => x.type === 'chat_updated')).toMatchObject({
      user_uuid: admin.id,
      data: { name: 'After', description: null, avatar_url: 'https://x.test/a.png' },
    })
    const got = await call(`/api/v1/chats/${chatId}`, { token: member.access_token })
    expect((await json(got)).data).toMatchObject({ name: 'After', description: null })
    here.close()
    away.close()
  })

  it('should refuse plain members, outsiders, direct chats and bodies that change nothing, naming the field', async () => {
    const { chatId, users } = await groupWith(2)
    const outsider = await registerUser()
    expect((await put(chatId, users[1], { name: 'x' })).status).toBe(403)
    expect((await put(chatId, outsider, { name: 'x' })).status).toBe(403)
    expect((await put('no-such-chat', users[0], { name: 'x' })).status).toBe(404)
    const empty = await put(chatId, users[0], {})
    expect(empty.status).toBe(400)
    expect((await json(empty)).error.details.fields[0].message).toContain(
      'at least one of name, description, avatar_url',
    )
    const badUrl = await put(chatId, users[0], { avatar_url: 'not a url' })
    expect(badUrl.status).toBe(400)
    expect((await json(badUrl)).error.details.fields[0].path).toBe('avatar_url')
    const blank = await put(chatId, users[0], { name: '  ' })
    expect((await json(blank)).error.details.fields[0].path).toBe('name')
    const direct = await call('/api/v1/chats', {
      method: 'POST',
      token: users[0].access_token,
      json: { type: 'direct', user_id: users[1].id },
    })
    expect((await put((await json(direct)).data.id, users[0], { name: 'x' })).status).toBe(400)
    const unchanged = await call(`/api/v1/chats/${chatId}`, { token: users[0].access_token })
    expect((await json(unchanged)).data.name).toBe('Room')
  })
})

describe('DELETE /api/v1/chats/:id', () => {
  it('should let only the owner delete, tell every socket, close those opened with it and keep the others working', async () => {
    const { chatId, users } = await groupWith(3, 'Doomed')
    const [owner, admin, member] = users
    await promote(chatId, owner, admin)
    expect((await del(chatId, admin)).status).toBe(403)
    expect((await del(chatId, member)).status).toBe(403)

    const here = await connect(member, chatId)
    const other = await groupWith(1, 'Stays')
    await call(`/api/v1/chats/${other.chatId}/members`, {
      method: 'POST',
      token: other.users[0].access_token,
      json: { user_ids: [admin.id] },
    })
    const away = await connect(admin, other.chatId)
    away.send({ type: 'join_room', room_id: chatId })
    await away.next((f) => f.type === 'user_joined' && f.room_id === chatId)
    await restSend(owner, chatId, { content: 'last words' })
    await here.next((f) => f.type === 'new_message')

    const res = await del(chatId, owner)
    expect(res.status).toBe(200)
    expect(await here.next((f) => f.type === 'chat_deleted')).toMatchObject({
      room_id: chatId,
      user_uuid: owner.id,
    })
    expect(await away.next((f) => f.type === 'chat_deleted')).toMatchObject({ room_id: chatId })
    await expect.poll(() => here.closed).toMatchObject({ code: 1000, reason: 'chat deleted' })

    // The socket homed elsewhere stays open, no longer follows the deleted chat, and works at home.
    away.send({ type: 'send_message', room_id: chatId, content: 'anyone?' })
    expect(await away.next((f) => f.type === 'error')).toMatchObject({ code: 'forbidden', room_id: chatId })
    away.send({ type: 'send_message', room_id: other.chatId, content: 'still here', client_id: 'k1' })
    expect(await away.next((f) => f.type === 'message_ack')).toMatchObject({ room_id: other.chatId })
    expect(away.closed).toBeUndefined()
    away.close()
  })

  it('should erase history, members and the D1 index, keep the chat’s files, and answer 404 afterwards', async () => {
    const { chatId, users } = await groupWith(2, 'Gone')
    const [owner, member] = users
    const form = new FormData()
    form.append('file', png())
    form.append('chat_id', chatId)
    const up = await call('/api/v1/files', { method: 'POST', token: member.access_token, body: form })
    expect(up.status).toBe(201)
    const fileId = (await json(up)).data.id
    for (let i = 0; i < 3; i++) await restSend(member, chatId, { content: `m${i}` })
    // Let the D1 index catch up, so that deleting has rows to remove.
    await runInDurableObject(chatRoomStub(chatId), (o) => o.flushIndex())
    expect(await db(env.DB).select().from(messages).where(eq(messages.chatId, chatId)).all()).toHaveLength(3)

    expect((await del(chatId, owner)).status).toBe(200)

    expect(await db(env.DB).select().from(messages).where(eq(messages.chatId, chatId)).all()).toEqual([])
    expect(await db(env.DB).select().from(chatMembers).where(eq(chatMembers.chatId, chatId)).all()).toEqual(
      [],
    )
    const stored = await runInDurableObject(chatRoomStub(chatId), (o) => ({
      last: (o as any).room.log.lastSeq as number,
      history: (o as any).room.log.page(undefined, 10).length as number,
    }))
    expect(stored).toEqual({ last: 0, history: 0 })
    expect((await call(`/api/v1/chats/${chatId}`, { token: owner.access_token })).status).toBe(404)
    expect((await call(`/api/v1/chats/${chatId}/messages`, { token: member.access_token })).status).toBe(404)
    expect((await restSend(member, chatId, { content: 'late' })).status).toBe(404)
    expect((await openChatSocket(member.access_token, chatId)).res.status).toBe(404)
    expect((await del(chatId, owner)).status).toBe(404)
    const list = await json(await call('/api/v1/chats', { token: member.access_token }))
    expect(list.data.chats.map((c: { id: string }) => c.id)).not.toContain(chatId)
    // The uploader still has the file; the chat's other (former) members no longer do.
    expect((await call(`/api/v1/files/${fileId}`, { token: member.access_token })).status).toBe(200)
    expect((await call(`/api/v1/files/${fileId}`, { token: owner.access_token })).status).toBe(403)
  })

  it('should refuse direct chats (leave them instead) and unknown chats', async () => {
    const [a, b] = [await registerUser(), await registerUser()]
    const direct = await call('/api/v1/chats', {
      method: 'POST',
      token: a.access_token,
      json: { type: 'direct', user_id: b.id },
    })
    const id = (await json(direct)).data.id
    expect((await del(id, a)).status).toBe(400)
    expect((await call(`/api/v1/chats/${id}`, { token: a.access_token })).status).toBe(200)
    expect((await del('no-such-chat', a)).status).toBe(404)
  })
})
