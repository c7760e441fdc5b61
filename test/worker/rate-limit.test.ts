import { describe, expect, it } from 'vitest'
import { call, json, registerUser, uniqueEmail } from '../helpers'

const login = (email: string, password: string, ip: string) =>
  call('/api/v1/auth/login', {
    method: 'POST',
    json: { email, password },
    headers: { 'cf-connecting-ip': ip },
  })

let n = 0
const freshIp = () => `198.51.100.${++n}`

describe('login rate limits', () => {
  it('should answer 429 with Retry-After after 5 attempts on one account, from any IP', async () => {
    const u = await registerUser()
    for (let i = 0; i < 5; i++) expect((await login(u.email, 'wrong password', freshIp())).status).toBe(401)
    const blocked = await login(u.email, u.password, freshIp())
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    const body = await json(blocked)
    expect(body.error.code).toBe('rate_limited')
    expect(body.error.details.retry_after).toBeGreaterThan(0)
  })

  it('should forgive an account’s failures after a successful login', async () => {
    const u = await registerUser()
    for (let i = 0; i < 4; i++) await login(u.email, 'wrong password', freshIp())
    expect((await login(u.email, u.password, freshIp())).status).toBe(200)
    for (let i = 0; i < 4; i++) expect((await login(u.email, 'wrong password', freshIp())).status).toBe(401)
  })

  it('should answer 429 after 20 attempts from one IP across different accounts', async () => {
    const ip = freshIp()
    for (let i = 0; i < 20; i++) expect((await login(uniqueEmail('ip'), 'whatever pw', ip)).status).toBe(401)
    expect((await login(uniqueEmail('ip'), 'whatever pw', ip)).status).toBe(429)
    // Another address is unaffected.
    expect((await login(uniqueEmail('ip'), 'whatever pw', freshIp())).status).toBe(401)
  })

  it('should limit staff sign-in at /auth/verifyuser the same way, in the gateway envelope', async () => {
    const u = await registerUser({ role: 'agent' })
    const verify = () =>
      call('/auth/verifyuser', {
        method: 'POST',
        json: { username: u.email, password: 'nope' },
        headers: { 'cf-connecting-ip': freshIp() },
      })
    for (let i = 0; i < 5; i++) expect((await verify()).status).toBe(401)
    const blocked = await verify()
    expect(blocked.status).toBe(429)
    expect((await json(blocked)).status).toBe('FAIL')
  })
})

describe('join by code', () => {
  const guess = (token: string, code: string, ip = '198.51.100.7') =>
    call('/api/v1/chats/join', {
      method: 'POST',
      token,
      headers: { 'cf-connecting-ip': ip },
      json: { code },
    })

  it('should answer 429 with Retry-After once an account has guessed JOIN_CODE_LIMIT_PER_ACCOUNT codes', async () => {
    const u = await registerUser()
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await guess(u.access_token, `QQQQ${10 + i}`)).status)
    expect(statuses).toEqual(Array(10).fill(404))
    const res = await guess(u.access_token, 'QQQQ99')
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await json(res)).error.code).toBe('rate_limited')
  })

  it('should limit guesses per IP across accounts (JOIN_CODE_LIMIT_PER_IP)', async () => {
    const ip = '203.0.113.99'
    const statuses: number[] = []
    for (let a = 0; a < 7; a++) {
      const u = await registerUser()
      for (let i = 0; i < 9; i++) statuses.push((await guess(u.access_token, `ZZZZ${10 + i}`, ip)).status)
    }
    expect(statuses.slice(0, 60).every((s) => s === 404)).toBe(true)
    expect(statuses.slice(60)).toEqual([429, 429, 429])
  })
})
