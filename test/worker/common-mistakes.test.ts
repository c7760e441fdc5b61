import { describe, expect, it } from 'vitest'
import { groupWith } from '../chat-client'
import { call, json, mintToken, registerUser } from '../helpers'

// Clear answers for the mistakes a newcomer makes first (issue 16, item 9).
describe('common mistakes', () => {
  it('should answer 415 "send application/json" when a JSON route gets another content type', async () => {
    const res = await call('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"email":"a@b.co","password":"x"}',
    })
    expect(res.status).toBe(415)
    const body = await json(res)
    expect(body.error.code).toBe('unsupported_media_type')
    expect(body.error.message).toMatch(/send application\/json/)
  })

  it('should refuse since=abc on the chat socket with 400 naming since', async () => {
    const { chatId, users } = await groupWith(1)
    const res = await call(`/api/v1/chat/ws?token=${users[0].access_token}&room_id=${chatId}&since=abc`, {
      headers: { upgrade: 'websocket' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields.map((f: { path: string }) => f.path)).toEqual(['since'])
  })

  it('should refuse since=abc on the live-chat socket with 400 naming since, before the upgrade', async () => {
    const customer = await registerUser()
    const opened = await call('/api/v1/livechat/sessions', {
      method: 'POST',
      token: customer.access_token,
      json: { subject: 'since' },
    })
    const session = (await json(opened)).data.id as string
    const socket = (since: string) =>
      call(`/ws/${session}/${customer.id}/customer?token=${customer.access_token}&since=${since}`, {
        headers: { upgrade: 'websocket' },
      })
    for (const bad of ['abc', '-1', '1.5']) {
      const res = await socket(bad)
      expect(res.status).toBe(400)
      expect(res.webSocket).toBeFalsy()
      // Seed 004's socket answers in the gateway envelope: {status:'FAIL', message, data:{code, details}}.
      const body = await json(res)
      expect(body.data.code).toBe('validation_failed')
      expect(body.data.details.fields.map((f: { path: string }) => f.path)).toEqual(['since'])
    }
    const ok = await socket('0')
    expect(ok.status).toBe(101)
    ok.webSocket!.accept()
    ok.webSocket!.close()
  })

  it('should answer 405 with Allow for a method a path does not take', async () => {
    const me = await registerUser()
    const res = await call('/api/v1/chats', { method: 'DELETE', token: me.access_token })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST')
    expect((await json(res)).error.code).toBe('method_not_allowed')
    const gateway = await call('/health', { method: 'PUT' })
    expect(gateway.status).toBe(405)
    expect((await json(gateway)).status).toBe('FAIL')
    expect((await call('/api/v1/no-such-thing', { method: 'DELETE' })).status).toBe(404)
  })

  it('should answer 404 for a notification to a user that does not exist, storing nothing', async () => {
    const staff = await mintToken('admin')
    for (const body of [{ user_id: 'nobody-here' }, { channel: 'user:nobody-here' }]) {
      const res = await call('/api/v1/notifications', {
        method: 'POST',
        token: staff,
        json: { ...body, title: 'hello' },
      })
      expect(res.status).toBe(404)
    }
    const list = await call('/api/v1/notifications?channel=user:nobody-here', { token: staff })
    expect((await json(list)).data.notifications).toEqual([])
  })

  it('should give direct chats no join code', async () => {
    const [a, b] = [await registerUser(), await registerUser()]
    const res = await call('/api/v1/chats', {
      method: 'POST',
      token: a.access_token,
      json: { type: 'direct', user_id: b.id },
    })
    expect(res.status).toBe(201)
    expect((await json(res)).data.code).toBeNull()
  })

  it('should word every validation message in one style', async () => {
    const res = await call('/api/v1/auth/register', {
      method: 'POST',
      json: { email: 'not-an-email', password: 5 },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields).toEqual([
      { path: 'email', message: 'must be a valid email address' },
      { path: 'password', message: 'must be a string' },
      { path: 'name', message: 'is required' },
    ])
    const chat = await registerUser()
    const bad = await call('/api/v1/chats', {
      method: 'POST',
      token: chat.access_token,
      json: { type: 'group', name: 'x'.repeat(101) },
    })
    expect((await json(bad)).error.details.fields).toEqual([
      { path: 'name', message: 'must be at most 100 characters' },
    ])
  })
})
