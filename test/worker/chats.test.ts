import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, json, registerUser, type TestUser } from '../helpers'
import { groupWith, restSend } from '../chat-client'

const post = (path: string, user: TestUser, body?: unknown) =>
  call(path, { method: 'POST', token: user.access_token, ...(body === undefined ? {} : { json: body }) })

describe('POST /api/v1/chats', () => {
  it('should create a group with a 6-character code, the creator as owner', async () => {
    const [owner, member] = [await registerUser(), await registerUser()]
    const res = await post('/api/v1/chats', owner, { type: 'group', name: 'Team', member_ids: [member.id] })
    expect(res.status).toBe(201)
    const { data } = await json(res)
    expect(data).toMatchObject({
      id: expect.any(String),
      type: 'group',
      name: 'Team',
      role: 'owner',
      member_count: 2,
    })
    expect(data.code).toMatch(/^[A-Z2-9]{6}$/)
  })

  it('should name a missing group name and unknown members', async () => {
    const owner = await registerUser()
    const res = await post('/api/v1/chats', owner, { type: 'group' })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields.map((f: any) => f.path)).toEqual(['name'])
    const bad = await post('/api/v1/chats', owner, { type: 'group', name: 'x', member_ids: ['nobody'] })
    expect(bad.status).toBe(400)
    expect((await json(bad)).error.details.fields[0]).toMatchObject({ path: 'member_ids' })
    const kind = await post('/api/v1/chats', owner, { type: 'channel', name: 'x' })
    expect(kind.status).toBe(400)
  })

  it('should keep one direct chat per pair, named after the other user', async () => {
    const [a, b] = [await registerUser({ name: 'Alice' }), await registerUser({ name: 'Bob' })]
    const first = await post('/api/v1/chats', a, { type: 'direct', user_id: b.id })
    expect(first.status).toBe(201)
    const chat = (await json(first)).data
    expect(chat).toMatchObject({ type: 'direct', name: 'Bob', member_count: 2 })
    const again = await post('/api/v1/chats', b, { type: 'direct', user_id: a.id })
    expect(again.status).toBe(200)
    expect((await json(again)).data).toMatchObject({ id: chat.id, name: 'Alice' })
    expect((await post('/api/v1/chats', a, { type: 'direct', user_id: a.id })).status).toBe(400)
    expect((await post('/api/v1/chats', a, { type: 'direct', user_id: 'ghost' })).status).toBe(404)
  })
})

describe('POST /api/v1/chats/join', () => {
  it('should join a group by code (idempotently), and refuse unknown codes and direct chats', async () => {
    const { chatId, code } = await groupWith(1)
    const joiner = await registerUser()
    const res = await post('/api/v1/chats/join', joiner, { code: code.toLowerCase() })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ id: chatId, role: 'member', member_count: 2 })
    expect((await post('/api/v1/chats/join', joiner, { code })).status).toBe(200)
    expect((await post('/api/v1/chats/join', joiner, { code: 'ZZZZZ9' })).status).toBe(404)
    expect((await post('/api/v1/chats/join', joiner, { code: 'abc' })).status).toBe(400)
    const other = await registerUser()
    const direct = (await json(await post('/api/v1/chats', other, { type: 'direct', user_id: joiner.id })))
      .data
    expect(direct.code).toBeNull()
    // The stored code (never shown for a direct chat) does not let anyone in either.
    const stored = await env.DB.prepare('SELECT code FROM chats WHERE id = ?')
      .bind(direct.id)
      .first<{ code: string }>()
    const third = await registerUser()
    expect((await post('/api/v1/chats/join', third, { code: stored!.code })).status).toBe(403)
  })
})

describe('GET /api/v1/chats and /:id', () => {
  it('should list only my chats, most recent first, and refuse others a chat with 403', async () => {
    const me = await registerUser()
    const older = (await json(await post('/api/v1/chats', me, { type: 'group', name: 'older' }))).data
    const newer = (await json(await post('/api/v1/chats', me, { type: 'group', name: 'newer' }))).data
    await restSend(me, older.id, { content: 'bump' })
    const deadline = Date.now() + 5000
    let ids: string[] = []
    while (Date.now() < deadline) {
      ids = (await json(await call('/api/v1/chats', { token: me.access_token }))).data.chats.map(
        (c: any) => c.id,
      )
      if (ids[0] === older.id) break
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(ids).toEqual([older.id, newer.id])
    const stranger = await registerUser()
    expect((await call(`/api/v1/chats/${older.id}`, { token: stranger.access_token })).status).toBe(403)
    expect((await call(`/api/v1/chats/nope`, { token: me.access_token })).status).toBe(404)
    expect((await call('/api/v1/chats')).status).toBe(401)
  })
})

describe('members and roles', () => {
  it('should let owner and admins add members, but not plain members', async () => {
    const { chatId, users } = await groupWith(2)
    const [owner, member] = users
    const extra = await registerUser()
    expect((await post(`/api/v1/chats/${chatId}/members`, member, { user_ids: [extra.id] })).status).toBe(403)
    const res = await post(`/api/v1/chats/${chatId}/members`, owner, { user_ids: [extra.id] })
    expect(res.status).toBe(200)
    expect((await json(res)).data.members.map((m: any) => m.user_id)).toContain(extra.id)
    const list = await json(await call(`/api/v1/chats/${chatId}/members`, { token: extra.access_token }))
    expect(list.data.members[0]).toMatchObject({ user_id: owner.id, role: 'owner' })
  })

  it('should let only the owner change roles, and transfer ownership', async () => {
    const { chatId, users } = await groupWith(3)
    const [owner, a, b] = users
    const patch = (actor: TestUser, target: TestUser, role: string) =>
      call(`/api/v1/chats/${chatId}/members/${target.id}`, {
        method: 'PATCH',
        token: actor.access_token,
        json: { role },
      })
    expect((await patch(a, b, 'admin')).status).toBe(403)
    expect((await patch(owner, a, 'admin')).status).toBe(200)
    // An admin still may not change roles, nor remove another admin.
    expect((await patch(a, b, 'admin')).status).toBe(403)
    expect((await patch(owner, b, 'admin')).status).toBe(200)
    const del = (actor: TestUser, target: TestUser) =>
      call(`/api/v1/chats/${chatId}/members/${target.id}`, { method: 'DELETE', token: actor.access_token })
    expect((await del(a, b)).status).toBe(403)
    expect((await del(a, owner)).status).toBe(403)
    expect((await patch(owner, b, 'nope')).status).toBe(400)
    const transfer = await patch(owner, a, 'owner')
    expect(transfer.status).toBe(200)
    const roles = Object.fromEntries((await json(transfer)).data.members.map((m: any) => [m.user_id, m.role]))
    expect(roles).toEqual({ [a.id]: 'owner', [owner.id]: 'admin', [b.id]: 'admin' })
  })

  it('should make an owner transfer before leaving, and let members leave', async () => {
    const { chatId, users } = await groupWith(2)
    const [owner, member] = users
    const leave = await post(`/api/v1/chats/${chatId}/leave`, owner)
    expect(leave.status).toBe(409)
    expect((await post(`/api/v1/chats/${chatId}/leave`, member)).status).toBe(200)
    expect((await restSend(member, chatId, { content: 'gone' })).status).toBe(403)
    expect((await post(`/api/v1/chats/${chatId}/leave`, owner)).status).toBe(200)
  })
})

describe('messages over REST', () => {
  it('should reply to a message of the chat and refuse unknown reply targets', async () => {
    const { chatId, users } = await groupWith(2)
    const first = await restSend(users[0], chatId, { content: 'question?' })
    const reply = await restSend(users[1], chatId, { content: 'answer', reply_to: first.body.data.id })
    expect(reply.status).toBe(201)
    expect(reply.body.data).toMatchObject({ reply_to: first.body.data.id, seq: 2 })
    expect((await restSend(users[1], chatId, { content: 'x', reply_to: 'missing' })).status).toBe(404)
  })

  it('should edit my message and refuse editing someone else’s', async () => {
    const { chatId, users } = await groupWith(2)
    const sent = await restSend(users[0], chatId, { content: 'tpyo' })
    const path = `/api/v1/chats/${chatId}/messages/${sent.body.data.id}`
    const edit = (u: TestUser) =>
      call(path, { method: 'PATCH', token: u.access_token, json: { content: 'typo' } })
    expect((await edit(users[1])).status).toBe(403)
    const ok = await edit(users[0])
    expect(ok.status).toBe(200)
    expect((await json(ok)).data).toMatchObject({ content: 'typo', edited_at: expect.any(String) })
    const got = await json(await call(path, { token: users[1].access_token }))
    expect(got.data.content).toBe('typo')
  })

  it('should refuse a control character in the search term instead of matching every message', async () => {
    const { chatId, users } = await groupWith(1)
    await restSend(users[0], chatId, { content: 'hello' })
    const search = (q: string) =>
      call(`/api/v1/chats/${chatId}/messages?q=${encodeURIComponent(q)}`, { token: users[0].access_token })
    const res = await search('\u0000x')
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields).toEqual([
      { path: 'q', message: 'must not contain control characters' },
    ])
    expect((await json(await search('%'))).data.messages).toEqual([])
  })

  it('should name invalid history parameters', async () => {
    const { chatId, users } = await groupWith(1)
    const res = await call(`/api/v1/chats/${chatId}/messages?limit=0&before=x`, {
      token: users[0].access_token,
    })
    expect(res.status).toBe(400)
    const paths = (await json(res)).error.details.fields.map((f: any) => f.path).sort()
    expect(paths).toEqual(['before', 'limit'])
  })
})
