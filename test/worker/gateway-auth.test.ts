import { describe, expect, it } from 'vitest'
import { env } from 'cloudflare:workers'
import { db } from '../../src/worker/db/client'
import { createServiceClient } from '../../src/worker/services/auth'
import { call, json, registerUser } from '../helpers'

describe('GET /auth/create', () => {
  it('should exchange a service API key for a service JWT that authenticates', async () => {
    const { key } = await createServiceClient(db(env.DB), 'dispatch')
    const res = await call('/auth/create', { headers: { 'x-api-key': key } })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.status).toBe('SUCCESS')
    expect(body.data.expires_in).toBe(3600)
    const claims = JSON.parse(atob(body.data.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
    expect(claims).toMatchObject({ role: 'service', typ: 'service', name: 'dispatch', iss: 'switchboard' })
  })

  it('should answer 401 FAIL for a wrong or missing key', async () => {
    for (const headers of [{ 'x-api-key': 'not-a-key' }, {}] as Record<string, string>[]) {
      const res = await call('/auth/create', { headers })
      expect(res.status).toBe(401)
      const body = await json(res)
      expect(body.status).toBe('FAIL')
      expect(body.message).toMatch(/key/i)
    }
  })
})

describe('POST /auth/verifyuser', () => {
  it('should give staff an access token', async () => {
    const agent = await registerUser({ role: 'agent' })
    const res = await call('/auth/verifyuser', {
      method: 'POST',
      json: { username: agent.email, password: agent.password },
    })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect((await call('/api/v1/auth/me', { token: data.token })).status).toBe(200)
  })

  it('should answer 403 for a member', async () => {
    const member = await registerUser()
    const res = await call('/auth/verifyuser', {
      method: 'POST',
      json: { username: member.email, password: member.password },
    })
    expect(res.status).toBe(403)
    expect((await json(res)).status).toBe('FAIL')
  })

  it('should answer 401 for a wrong password', async () => {
    const admin = await registerUser({ role: 'admin' })
    const res = await call('/auth/verifyuser', {
      method: 'POST',
      json: { username: admin.email, password: 'wrong one' },
    })
    expect(res.status).toBe(401)
  })

  it('should answer 400 FAIL naming the missing field', async () => {
    const res = await call('/auth/verifyuser', { method: 'POST', json: { username: 'a@b.co' } })
    expect(res.status).toBe(400)
    const body = await json(res)
    expect(body.status).toBe('FAIL')
    expect(body.data.details.fields[0].path).toBe('password')
  })
})
