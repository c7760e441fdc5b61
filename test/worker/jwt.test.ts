import { afterEach, describe, expect, it, vi } from 'vitest'
import { signToken, verifyToken } from '../../src/worker/lib/jwt'

// lib/jwt.ts remembers tokens it verified until they expire: the remembered answer must never
// outlive the token, nor carry over to another secret.
const SECRET = 'jwt-test-secret-jwt-test-secret-0123456789'
const OTHER = 'jwt-other-secret-jwt-other-secret-012345678'
const claims = { sub: 'u-jwt', role: 'agent', name: 'Jay', typ: 'access' } as const

afterEach(() => vi.useRealTimers())

describe('verifyToken', () => {
  it('should answer a remembered token until it expires, then token_expired', async () => {
    const token = await signToken(claims, SECRET, 60)
    expect(await verifyToken(token, SECRET)).toMatchObject({ id: 'u-jwt', role: 'agent', typ: 'access' })
    expect(await verifyToken(token, SECRET)).toMatchObject({ id: 'u-jwt' })
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] })
    await expect(verifyToken(token, SECRET)).rejects.toMatchObject({ code: 'token_expired' })
  })

  it('should not answer for a token verified under another secret', async () => {
    const token = await signToken(claims, SECRET, 60)
    await verifyToken(token, SECRET)
    await expect(verifyToken(token, OTHER)).rejects.toMatchObject({ code: 'unauthorized' })
  })

  it('should refuse a tampered copy of a remembered token', async () => {
    const token = await signToken(claims, SECRET, 60)
    await verifyToken(token, SECRET)
    const [h, p, s] = token.split('.')
    const payload = JSON.parse(atob(p.replace(/-/g, '+').replace(/_/g, '/')))
    const forged = btoa(JSON.stringify({ ...payload, role: 'admin' }))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
    await expect(verifyToken(`${h}.${forged}.${s}`, SECRET)).rejects.toMatchObject({ code: 'unauthorized' })
  })
})
