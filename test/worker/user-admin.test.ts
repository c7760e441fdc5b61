import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { decodeJwt } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { db } from '../../src/worker/db/client'
import { refreshTokens } from '../../src/worker/db/schema'
import { call, json, registerUser, type TestUser } from '../helpers'

let admin: TestUser
beforeAll(async () => {
  admin = await registerUser({ role: 'admin', name: 'Admin One' })
})

/** Logins from an address of this file's own, so the shared per-IP login limit is not charged. */
const login = (email: string, password: string, path = '/api/v1/auth/login') =>
  call(path, {
    method: 'POST',
    headers: { 'cf-connecting-ip': '198.51.100.12' },
    json: path === '/api/v1/auth/login' ? { email, password } : { username: email, password },
  })
const refresh = (refresh_token: string) =>
  call('/api/v1/auth/refresh', { method: 'POST', json: { refresh_token } })
const setRole = (id: string, role: string, token = admin.access_token) =>
  call(`/api/v1/users/${id}/role`, { method: 'PUT', token, json: { role } })
const disable = (id: string, token = admin.access_token) =>
  call(`/api/v1/users/${id}/disable`, { method: 'POST', token })

describe('admin-only user routes', () => {
  it('should answer 401 without a token and 403 for every other role', async () => {
    const target = await registerUser()
    expect((await call('/api/v1/users')).status).toBe(401)
    for (const role of ['member', 'agent', 'mentor'] as const) {
      const u = await registerUser({ role })
      expect((await call('/api/v1/users', { token: u.access_token })).status).toBe(403)
      expect((await setRole(target.id, 'admin', u.access_token)).status).toBe(403)
      expect((await disable(target.id, u.access_token)).status).toBe(403)
    }
  })
})

describe('GET /api/v1/users', () => {
  it('should list users with role and disabled state, filtered by role and name', async () => {
    const mentor = await registerUser({ role: 'mentor', name: `Listed Mentor ${Date.now()}` })
    const res = await call(`/api/v1/users?role=mentor&q=${encodeURIComponent(mentor.name)}`, {
      token: admin.access_token,
    })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(data).toMatchObject({ total: 1, page: 1, limit: 50 })
    expect(data.users[0]).toMatchObject({
      id: mentor.id,
      email: mentor.email,
      role: 'mentor',
      disabled: false,
      disabled_at: null,
    })
  })

  it('should answer 400 naming role for an unknown role', async () => {
    const res = await call('/api/v1/users?role=owner', { token: admin.access_token })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields[0].path).toBe('role')
  })
})

describe('PUT /api/v1/users/{id}/role', () => {
  it('should make a member an agent, who then signs in to the gateway as staff', async () => {
    const u = await registerUser()
    const res = await setRole(u.id, 'agent')
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ id: u.id, role: 'agent' })
    // The next refresh carries the new role; so does gateway staff sign-in.
    const refreshed = await json(await refresh(u.refresh_token))
    expect((decodeJwt(refreshed.data.access_token) as any).role).toBe('agent')
    expect((await login(u.email, u.password, '/auth/verifyuser')).status).toBe(200)
  })

  it('should answer 400 naming role, 404 for an unknown user and 409 for the admin’s own role', async () => {
    const u = await registerUser()
    const bad = await setRole(u.id, 'superuser')
    expect(bad.status).toBe(400)
    expect((await json(bad)).error.details.fields[0].path).toBe('role')
    expect((await setRole('no-such-user', 'agent')).status).toBe(404)
    const self = await setRole(admin.id, 'member')
    expect(self.status).toBe(409)
    expect((await json(await call('/api/v1/users/profile', { token: admin.access_token }))).data.role).toBe(
      'admin',
    )
  })
})

describe('POST /api/v1/users/{id}/disable and /enable', () => {
  it('should revoke the user’s refresh tokens and refuse login and refresh until enabled', async () => {
    const u = await registerUser()
    const res = await disable(u.id)
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ id: u.id, disabled: true })
    const tokens = await db(env.DB).select().from(refreshTokens).where(eq(refreshTokens.userId, u.id))
    expect(tokens.length).toBeGreaterThan(0)
    expect(tokens.every((t) => t.revokedAt !== null)).toBe(true)

    const r = await refresh(u.refresh_token)
    expect(r.status).toBe(403)
    expect((await json(r)).error.message).toBe('Account is disabled')
    const l = await login(u.email, u.password)
    expect(l.status).toBe(403)
    expect((await json(l)).error.message).toBe('Account is disabled')
    // A wrong password still looks like any wrong password.
    expect((await login(u.email, 'not the password')).status).toBe(401)

    const listed = await json(await call('/api/v1/users?disabled=true', { token: admin.access_token }))
    expect(listed.data.users.map((x: { id: string }) => x.id)).toContain(u.id)

    const enabled = await call(`/api/v1/users/${u.id}/enable`, { method: 'POST', token: admin.access_token })
    expect((await json(enabled)).data).toMatchObject({ disabled: false, disabled_at: null })
    expect((await refresh(u.refresh_token)).status).toBe(401)
    expect((await login(u.email, u.password)).status).toBe(200)
  })

  it('should keep the first disabled time when disabled twice', async () => {
    const u = await registerUser()
    const first = (await json(await disable(u.id))).data.disabled_at
    await new Promise((r) => setTimeout(r, 5))
    expect((await json(await disable(u.id))).data.disabled_at).toBe(first)
  })

  it('should refuse an admin disabling themselves (409) and answer 404 for an unknown user', async () => {
    expect((await disable(admin.id)).status).toBe(409)
    expect((await disable('no-such-user')).status).toBe(404)
  })
})
