import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { operations, sampleRequest } from '../../bench/lib/openapi-sample.mjs'
import { call, json, registerUser, serviceToken } from '../helpers'

/** Sends the sampled request of one operation with `token`. */
async function send(doc: any, operation: ReturnType<typeof operations>[number], token: string) {
  const { url, body, form } = sampleRequest(doc, operation)
  if (form) {
    const data = new FormData()
    for (const [k, v] of form)
      data.set(k, typeof v === 'string' ? v : new File(['hello'], 'a.txt', { type: 'text/plain' }))
    return call(url, { method: operation.method, token, body: data })
  }
  return call(url, { method: operation.method, token, ...(body === undefined ? {} : { json: body }) })
}

describe('principals on /api/v1', () => {
  it('should answer every documented /api/v1 route for a service token without a 5xx', async () => {
    const doc = await json(await call('/openapi.json'))
    const token = await serviceToken('principals-walk')
    const ops = operations(doc).filter((o) => o.path.startsWith('/api/v1/'))
    expect(ops.length).toBeGreaterThan(40)
    const failures: string[] = []
    for (const op of ops) {
      const res = await send(doc, op, token)
      if (res.status >= 500) failures.push(`${op.method} ${op.path} → ${res.status} ${await res.text()}`)
      else await res.body?.cancel()
    }
    expect(failures).toEqual([])
  })

  it('should answer every documented /api/v1 route for a member without a 5xx', async () => {
    const doc = await json(await call('/openapi.json'))
    const member = await registerUser()
    const failures: string[] = []
    for (const op of operations(doc).filter((o) => o.path.startsWith('/api/v1/'))) {
      const res = await send(doc, op, member.access_token)
      if (res.status >= 500) failures.push(`${op.method} ${op.path} → ${res.status} ${await res.text()}`)
      else await res.body?.cancel()
    }
    expect(failures).toEqual([])
  })

  it('should refuse a service token with 403 on user-account routes, creating nothing', async () => {
    const token = await serviceToken('principals-403')
    const cases: [string, string, unknown?][] = [
      ['POST', '/api/v1/chats', { type: 'group', name: 'service chat' }],
      ['POST', '/api/v1/chats/join', { code: 'ABCDEF' }],
      ['GET', '/api/v1/auth/me'],
      ['GET', '/api/v1/users/profile'],
      ['POST', '/api/v1/livechat/sessions', { subject: 'help' }],
      ['POST', '/api/v1/live/sessions/x/join', {}],
    ]
    for (const [method, path, body] of cases) {
      const res = await call(path, { method, token, ...(body === undefined ? {} : { json: body }) })
      expect(res.status, `${method} ${path}`).toBe(403)
      expect((await json(res)).error.message).toMatch(/needs a user account/)
    }
    const { results } = await env.DB.prepare(
      'SELECT id FROM livechat_sessions WHERE customer_id NOT IN (SELECT id FROM users)',
    ).all()
    expect(results).toEqual([])
  })

  it('should still serve a service token where services belong (user lookup, notifications)', async () => {
    const token = await serviceToken('principals-ok')
    const member = await registerUser()
    expect((await call(`/api/v1/users/${member.id}`, { token })).status).toBe(200)
    const res = await call('/api/v1/notifications', {
      method: 'POST',
      token,
      json: { user_id: member.id, title: 'hello', body: 'from a service' },
    })
    expect(res.status).toBe(201)
  })

  it('should refuse a service token on the chat socket with 403', async () => {
    const token = await serviceToken('principals-ws')
    const res = await call(`/api/v1/chat/ws?token=${token}&room_id=x`, { headers: { upgrade: 'websocket' } })
    expect(res.status).toBe(403)
  })
})
