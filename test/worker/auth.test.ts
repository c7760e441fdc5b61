import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { SignJWT } from 'jose'
import { db } from '../../src/worker/db/client'
import { refreshTokens, users } from '../../src/worker/db/schema'
import { eq } from 'drizzle-orm'
import { call, json, registerUser, uniqueEmail } from '../helpers'

const password = 'correct horse battery'

describe('POST /api/v1/auth/register', () => {
  it('should create a member and answer the golden-path shape', async () => {
    const email = uniqueEmail()
    const res = await call('/api/v1/auth/register', {
      method: 'POST',
      json: { email, password, name: 'Ada' },
    })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body.success).toBe(true)
    expect(body.data.user).toEqual({ id: expect.any(String), email, name: 'Ada', role: 'member' })
    expect(body.data.access_token.split('.')).toHaveLength(3)
    expect(body.data.refresh_token.length).toBeGreaterThanOrEqual(40)
    expect(body.data.expires_in).toBe(900)
  })

  it('should store only a versioned PBKDF2 hash, never the password', async () => {
    const email = uniqueEmail()
    await call('/api/v1/auth/register', { method: 'POST', json: { email, password, name: 'Hash' } })
    const row = await db(env.DB).select().from(users).where(eq(users.email, email)).get()
    expect(row!.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/)
    expect(row!.passwordHash).not.toContain(password)
  })

  it('should answer 409 for a duplicate email, also differing in case', async () => {
    const email = uniqueEmail()
    expect(
      (await call('/api/v1/auth/register', { method: 'POST', json: { email, password, name: 'A' } })).status,
    ).toBe(201)
    const again = await call('/api/v1/auth/register', {
      method: 'POST',
      json: { email: email.toUpperCase(), password, name: 'B' },
    })
    expect(again.status).toBe(409)
    expect((await json(again)).error.code).toBe('conflict')
  })

  it('should answer 400 naming each malformed field', async () => {
    const res = await call('/api/v1/auth/register', {
      method: 'POST',
      json: { email: 'not-an-email', password: 'short' },
    })
    expect(res.status).toBe(400)
    const body = await json(res)
    expect(body.success).toBe(false)
    expect(body.error.code).toBe('validation_failed')
    const paths = body.error.details.fields.map((f: { path: string }) => f.path).sort()
    expect(paths).toEqual(['email', 'name', 'password'])
  })

  it('should answer 400 for a body that is not JSON', async () => {
    const res = await call('/api/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": ',
    })
    expect(res.status).toBe(400)
    expect((await json(res)).success).toBe(false)
  })
})

describe('POST /api/v1/auth/login', () => {
  it('should sign in with the right password', async () => {
    const u = await registerUser()
    const res = await call('/api/v1/auth/login', {
      method: 'POST',
      json: { email: u.email, password: u.password },
    })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.data.user.id).toBe(u.id)
    expect(body.data.refresh_token).not.toBe(u.refresh_token)
  })

  it('should answer 401 for a wrong password and for an unknown email alike', async () => {
    const u = await registerUser()
    const wrong = await call('/api/v1/auth/login', {
      method: 'POST',
      json: { email: u.email, password: 'wrong password' },
    })
    const unknown = await call('/api/v1/auth/login', {
      method: 'POST',
      json: { email: uniqueEmail(), password },
    })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect((await json(wrong)).error.message).toBe((await json(unknown)).error.message)
  })
})

describe('GET /api/v1/auth/me', () => {
  it('should return the user for a valid token', async () => {
    const u = await registerUser({ name: 'Me Myself' })
    const res = await call('/api/v1/auth/me', { token: u.access_token })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toEqual({
      id: u.id,
      email: u.email,
      name: 'Me Myself',
      role: 'member',
      status: 'offline',
    })
  })

  it('should answer 401 without a token', async () => {
    const res = await call('/api/v1/auth/me')
    expect(res.status).toBe(401)
    expect((await json(res)).error.code).toBe('unauthorized')
  })

  it('should answer 401 for a tampered token', async () => {
    const u = await registerUser()
    const [h, p, s] = u.access_token.split('.')
    const claims = JSON.parse(atob(p.replace(/-/g, '+').replace(/_/g, '/')))
    claims.role = 'admin'
    const forged = `${h}.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.${s}`
    const res = await call('/api/v1/auth/me', { token: forged })
    expect(res.status).toBe(401)
  })

  it('should answer 401 token_expired for an expired token', async () => {
    const u = await registerUser()
    const expired = await new SignJWT({ role: 'member', name: 'x', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(u.id)
      .setIssuer('switchboard')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(env.JWT_SECRET as string))
    const res = await call('/api/v1/auth/me', { token: expired })
    expect(res.status).toBe(401)
    expect((await json(res)).error.code).toBe('token_expired')
  })

  it('should answer 401 for a token signed with another secret', async () => {
    const other = await new SignJWT({ role: 'admin', name: 'x', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('someone')
      .setIssuer('switchboard')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'))
    expect((await call('/api/v1/auth/me', { token: other })).status).toBe(401)
  })
})

describe('POST /api/v1/auth/refresh', () => {
  it('should rotate: a new pair that works, and the old refresh token is spent', async () => {
    const u = await registerUser()
    const res = await call('/api/v1/auth/refresh', {
      method: 'POST',
      json: { refresh_token: u.refresh_token },
    })
    expect(res.status).toBe(200)
    const next = (await json(res)).data
    expect(next.refresh_token).not.toBe(u.refresh_token)
    expect((await call('/api/v1/auth/me', { token: next.access_token })).status).toBe(200)
    const again = await call('/api/v1/auth/refresh', {
      method: 'POST',
      json: { refresh_token: next.refresh_token },
    })
    expect(again.status).toBe(200)
  })

  it('should revoke the whole family when a rotated token is reused', async () => {
    const u = await registerUser()
    const first = (
      await json(
        await call('/api/v1/auth/refresh', { method: 'POST', json: { refresh_token: u.refresh_token } }),
      )
    ).data
    // An attacker replays the original token:
    const reuse = await call('/api/v1/auth/refresh', {
      method: 'POST',
      json: { refresh_token: u.refresh_token },
    })
    expect(reuse.status).toBe(401)
    expect((await json(reuse)).error.message).toMatch(/reuse/)
    // …so the legitimate holder's newer token is dead too.
    const legit = await call('/api/v1/auth/refresh', {
      method: 'POST',
      json: { refresh_token: first.refresh_token },
    })
    expect(legit.status).toBe(401)
  })

  it('should let only one of two racing refreshes win', async () => {
    const u = await registerUser()
    const results = await Promise.all(
      [1, 2].map(() =>
        call('/api/v1/auth/refresh', { method: 'POST', json: { refresh_token: u.refresh_token } }),
      ),
    )
    expect(results.map((r) => r.status).sort()).toEqual([200, 401])
  })

  it('should answer 401 for an unknown token and token_expired for an expired one', async () => {
    const unknown = await call('/api/v1/auth/refresh', {
      method: 'POST',
      json: { refresh_token: 'x'.repeat(43) },
    })
    expect(unknown.status).toBe(401)
    const u = await registerUser()
    await db(env.DB)
      .update(refreshTokens)
      .set({ expiresAt: Date.now() - 1000 })
      .where(eq(refreshTokens.userId, u.id))
    const expired = await call('/api/v1/auth/refresh', {
      method: 'POST',
      json: { refresh_token: u.refresh_token },
    })
    expect(expired.status).toBe(401)
    expect((await json(expired)).error.code).toBe('token_expired')
  })

  it('should store refresh tokens hashed', async () => {
    const u = await registerUser()
    const rows = await db(env.DB).select().from(refreshTokens).where(eq(refreshTokens.userId, u.id)).all()
    expect(rows.length).toBe(1)
    expect(rows[0].tokenHash).toMatch(/^[0-9a-f]{64}$/)
    expect(rows[0].tokenHash).not.toBe(u.refresh_token)
  })
})

describe('POST /api/v1/auth/logout', () => {
  it('should revoke the given refresh token', async () => {
    const u = await registerUser()
    const res = await call('/api/v1/auth/logout', {
      method: 'POST',
      token: u.access_token,
      json: { refresh_token: u.refresh_token },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toEqual({})
    expect(
      (await call('/api/v1/auth/refresh', { method: 'POST', json: { refresh_token: u.refresh_token } }))
        .status,
    ).toBe(401)
  })

  it('should revoke every login of the user without a refresh token', async () => {
    const u = await registerUser()
    const second = (
      await json(
        await call('/api/v1/auth/login', { method: 'POST', json: { email: u.email, password: u.password } }),
      )
    ).data
    expect((await call('/api/v1/auth/logout', { method: 'POST', token: u.access_token })).status).toBe(200)
    for (const t of [u.refresh_token, second.refresh_token]) {
      expect(
        (await call('/api/v1/auth/refresh', { method: 'POST', json: { refresh_token: t } })).status,
      ).toBe(401)
    }
  })

  it('should refuse to revoke another user’s token', async () => {
    const a = await registerUser()
    const b = await registerUser()
    const res = await call('/api/v1/auth/logout', {
      method: 'POST',
      token: a.access_token,
      json: { refresh_token: b.refresh_token },
    })
    expect(res.status).toBe(401)
    expect(
      (await call('/api/v1/auth/refresh', { method: 'POST', json: { refresh_token: b.refresh_token } }))
        .status,
    ).toBe(200)
  })

  it('should answer 401 without a bearer token', async () => {
    expect((await call('/api/v1/auth/logout', { method: 'POST', json: {} })).status).toBe(401)
  })
})
