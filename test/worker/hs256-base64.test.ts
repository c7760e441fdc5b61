import { decodeProtectedHeader, jwtVerify } from 'jose'
import { TokenVerifier } from 'livekit-server-sdk'
import { describe, expect, it } from 'vitest'
import { signHs256 } from '../../src/worker/lib/hs256'
import { fromBase64, fromBase64Url, toBase64, toBase64Url } from '../../src/worker/lib/base64'
import { signToken } from '../../src/worker/lib/jwt'
import { mintUserToken } from '../../src/worker/lib/livekit'

// lib/hs256.ts signs without jose's builder: what it signs must be what jose and LiveKit's own SDK
// verify, byte for byte, with the secret alone.
const SECRET = 'hs256-test-secret-hs256-test-secret-0123'
const key = new TextEncoder().encode(SECRET)

describe('signHs256', () => {
  it('should sign a JWS that jose verifies with the raw secret, claims intact (non-ASCII too)', async () => {
    const token = await signHs256({ sub: 'u1', name: 'Zoë Ω 救急', n: 3 }, SECRET)
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] })
    expect(payload).toEqual({ sub: 'u1', name: 'Zoë Ω 救急', n: 3 })
  })

  it('should be refused under another secret or with one changed byte', async () => {
    const token = await signHs256({ sub: 'u1' }, SECRET)
    await expect(jwtVerify(token, new TextEncoder().encode(`${SECRET}x`))).rejects.toThrow()
    const [h, p, s] = token.split('.')
    const flipped = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`
    await expect(jwtVerify(flipped, key)).rejects.toThrow()
  })

  it('should give access tokens issuer, issue time, a unique id and the expiry', async () => {
    const before = Math.floor(Date.now() / 1000)
    const claims = { sub: 'u2', role: 'agent', name: 'A', typ: 'access' } as const
    const [a, b] = [await signToken(claims, SECRET, 90), await signToken(claims, SECRET, 90)]
    const { payload } = await jwtVerify(a, key, { issuer: 'switchboard' })
    expect(payload).toMatchObject({ sub: 'u2', role: 'agent', typ: 'access' })
    expect(payload.iat).toBeGreaterThanOrEqual(before)
    expect(payload.exp! - payload.iat!).toBe(90)
    expect(payload.jti).not.toBe((await jwtVerify(b, key)).payload.jti)
  })

  it('should mint LiveKit tokens that livekit-server-sdk’s TokenVerifier accepts', async () => {
    const node = { name: 'n', url: 'http://lk.invalid', apiKey: 'APIkey1', apiSecret: SECRET }
    const token = await mintUserToken(node, {
      room: 'r1',
      identity: 'car-1',
      name: 'Car 1',
      userType: 'car',
      ttl: 60,
    })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256' })
    const claims = await new TokenVerifier('APIkey1', SECRET).verify(token)
    expect(claims).toMatchObject({ sub: 'car-1', name: 'Car 1', video: { roomJoin: true, room: 'r1' } })
    expect(claims.attributes).toEqual({ userType: 'car' })
  })
})

describe('base64', () => {
  it('should encode any bytes as unpadded base64url, past one fromCharCode slice too', () => {
    for (const n of [0, 1, 2, 3, 31, 32, 0x8000, 0x8000 + 5, 100_003]) {
      const bytes = crypto.getRandomValues(new Uint8Array(Math.min(n, 65536)))
      const whole = n > 65536 ? new Uint8Array(n).map((_, i) => bytes[i % bytes.length] ^ (i >> 8)) : bytes
      const expected = btoa(Array.from(whole, (b) => String.fromCharCode(b)).join(''))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '')
      expect(toBase64Url(whole), `n=${n}`).toBe(expected)
    }
    expect(toBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_')
  })

  it('should round-trip both alphabets and refuse what is not base64', () => {
    const bytes = crypto.getRandomValues(new Uint8Array(1000))
    expect(fromBase64(toBase64(bytes))).toEqual(bytes)
    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes)
    expect(toBase64(new Uint8Array([0xfb, 0xff, 0xbf, 1]))).toBe('+/+/AQ==')
    expect(() => fromBase64('-_-_')).toThrow()
    expect(() => fromBase64('a b!')).toThrow()
  })
})
