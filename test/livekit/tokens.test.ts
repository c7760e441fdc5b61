import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { decodeJwt, SignJWT } from 'jose'
import { loadConfig } from '../../src/worker/config'
import { mintUserToken, verifyLiveKitToken, type UserType } from '../../src/worker/lib/livekit'
import { configuredNode } from '../livekit-double'

const config = () => loadConfig(env)
const mint = (userType: UserType, ttl = 600) =>
  mintUserToken(configuredNode(), { room: 'r1', identity: `${userType}-x`, name: 'N', userType, ttl })

const AV = ['camera', 'microphone']
const ALL = ['camera', 'microphone', 'screen_share', 'screen_share_audio']

/** The `video` claim each user type must carry, field by field. */
const expected: Record<UserType, Record<string, unknown>> = {
  admin: {
    canPublish: true,
    canPublishSources: ALL,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  },
  agent: {
    canPublish: true,
    canPublishSources: ALL,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  },
  staff: {
    canPublish: true,
    canPublishSources: ALL,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  },
  caller: {
    canPublish: true,
    canPublishSources: AV,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
  },
  user: {
    canPublish: true,
    canPublishSources: AV,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
  },
  car: {
    canPublish: true,
    canPublishSources: AV,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  },
  mobile: {
    canPublish: true,
    canPublishSources: AV,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  },
  viewer: {
    canPublish: false,
    canPublishSources: [],
    canSubscribe: true,
    canPublishData: false,
    canUpdateOwnMetadata: false,
  },
  chat: {
    canPublish: false,
    canPublishSources: [],
    canSubscribe: false,
    canPublishData: true,
    canUpdateOwnMetadata: false,
    hidden: true,
  },
}

describe('LiveKit participant tokens', () => {
  for (const [userType, grant] of Object.entries(expected) as [UserType, Record<string, unknown>][]) {
    it(`should give a ${userType} exactly its grants for the room`, async () => {
      const claims = decodeJwt(await mint(userType)) as any
      expect(claims.iss).toBe('devkey')
      expect(claims.sub).toBe(`${userType}-x`)
      expect(claims.attributes).toEqual({ userType })
      expect(claims.video).toEqual({ ...grant, roomJoin: true, room: 'r1' })
      for (const admin of ['roomAdmin', 'roomCreate', 'roomList', 'roomRecord'])
        expect(claims.video[admin], admin).toBeUndefined()
    })
  }

  it('should expire after the ttl', async () => {
    const claims = decodeJwt(await mint('caller', 120))
    expect(claims.exp! - claims.nbf!).toBe(120)
  })

  it('should be verified by verifyLiveKitToken with the signing node', async () => {
    const v = await verifyLiveKitToken(config(), await mint('agent'))
    expect(v).toMatchObject({
      identity: 'agent-x',
      room: 'r1',
      node: 'default',
      userType: 'agent',
      name: 'N',
    })
  })

  it('should verify a token of the second node with that node’s secret', async () => {
    const token = await mintUserToken(configuredNode('edge'), {
      room: 'r2',
      identity: 'i',
      name: 'n',
      userType: 'viewer',
      ttl: 60,
    })
    expect((await verifyLiveKitToken(config(), token)).node).toBe('edge')
  })

  it('should refuse a token signed with a wrong secret', async () => {
    const forged = await new SignJWT({ video: { roomJoin: true, room: 'r1' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('devkey')
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-secret-not-the-secret-000'))
    await expect(verifyLiveKitToken(config(), forged)).rejects.toMatchObject({ status: 401 })
  })

  it('should refuse an expired token with token_expired', async () => {
    const node = configuredNode()
    const old = await new SignJWT({ video: { roomJoin: true, room: 'r1' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(node.apiKey)
      .setSubject('x')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(node.apiSecret))
    await expect(verifyLiveKitToken(config(), old)).rejects.toMatchObject({ code: 'token_expired' })
  })

  it('should refuse a token of an unknown API key or without a room join grant', async () => {
    const node = configuredNode()
    const noJoin = await new SignJWT({ video: { roomList: true } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(node.apiKey)
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(node.apiSecret))
    await expect(verifyLiveKitToken(config(), noJoin)).rejects.toMatchObject({ code: 'unauthorized' })
    await expect(verifyLiveKitToken(config(), 'garbage')).rejects.toMatchObject({ code: 'unauthorized' })
  })
})
