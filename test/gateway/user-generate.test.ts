import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { eq } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, liveKitNodes, roomUsers } from '../../src/worker/db/schema'
import { loadConfig } from '../../src/worker/config'
import { verifyLiveKitToken } from '../../src/worker/lib/livekit'
import { call, json, registerUser, serviceToken } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

const lk = installLiveKitDouble()
beforeEach(() => lk.reset())

const generate = (token: string | undefined, body: unknown) =>
  call('/user/generate', { method: 'POST', token, json: body })

describe('POST /user/generate', () => {
  it('should create the room on LiveKit and answer {room, identity, token, url} for a service token', async () => {
    const res = await generate(await serviceToken(), {
      room: 'golden-1',
      userName: 'Dispatcher',
      userType: 'agent',
    })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.status).toBe('SUCCESS')
    expect(Object.keys(body.data).sort()).toEqual(['identity', 'room', 'token', 'url'])
    expect(body.data.room).toBe('golden-1')
    expect(body.data.identity).toMatch(/^agent-[a-z0-9]{8}$/)
    expect(body.data.url).toBe('ws://livekit.test')
    const claims = decodeJwt(body.data.token) as any
    expect(claims.iss).toBe('devkey')
    expect(claims.sub).toBe(body.data.identity)
    expect(claims.name).toBe('Dispatcher')
    expect(claims.video.room).toBe('golden-1')
    expect(claims.video.roomJoin).toBe(true)
    expect(lk.node('default').rooms.has('golden-1')).toBe(true)
    expect(lk.callsOf('RoomService/CreateRoom')).toHaveLength(1)
    expect(lk.callsOf('RoomService/CreateRoom')[0].grant.roomCreate).toBe(true)
  })

  it('should record the room and the room user in D1', async () => {
    const { data } = await json(
      await generate(await serviceToken(), { room: 'golden-2', userName: 'Caller', userType: 'caller' }),
    )
    const room = await db(env.DB)
      .select()
      .from(conferenceRooms)
      .where(eq(conferenceRooms.name, 'golden-2'))
      .get()
    expect(room).toMatchObject({ status: 'open', node: lk.whereIs('golden-2')!.name })
    expect(room!.expiresAt).toBeGreaterThan(Date.now() + 23 * 3600_000)
    const user = await db(env.DB).select().from(roomUsers).where(eq(roomUsers.identity, data.identity)).get()
    expect(user).toMatchObject({ room: 'golden-2', name: 'Caller', userType: 'caller', status: 'created' })
  })

  it('should reuse an existing room without creating it again', async () => {
    const token = await serviceToken()
    const a = await json(await generate(token, { room: 'golden-3', userName: 'A', userType: 'agent' }))
    const b = await json(await generate(token, { room: 'golden-3', userName: 'B', userType: 'caller' }))
    expect(b.data.room).toBe('golden-3')
    expect(b.data.identity).not.toBe(a.data.identity)
    expect(lk.callsOf('RoomService/CreateRoom')).toHaveLength(1)
  })

  it('should create a room with a random name when none is given', async () => {
    const { data } = await json(await generate(await serviceToken(), { userName: 'Solo', userType: 'agent' }))
    expect(data.room).toMatch(/^[a-z0-9]{10}$/)
    expect(lk.whereIs(data.room)).toBeDefined()
  })

  it('should accept a staff access token and refuse a member with 403', async () => {
    const agent = await registerUser({ role: 'agent' })
    expect((await generate(agent.access_token, { userName: 'A', userType: 'agent' })).status).toBe(200)
    const member = await registerUser()
    const res = await generate(member.access_token, { userName: 'M', userType: 'caller' })
    expect(res.status).toBe(403)
    expect((await json(res)).status).toBe('FAIL')
  })

  it('should answer 401 without a token and create nothing', async () => {
    const res = await generate(undefined, { room: 'golden-none', userName: 'X', userType: 'agent' })
    expect(res.status).toBe(401)
    expect(
      await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, 'golden-none')).get(),
    ).toBeUndefined()
    expect(lk.calls).toHaveLength(0)
  })

  it('should answer 400 naming each bad field and create nothing', async () => {
    const res = await generate(await serviceToken(), { room: 'bad/name', userType: 'pilot' })
    expect(res.status).toBe(400)
    const body = await json(res)
    expect(body.status).toBe('FAIL')
    expect(body.data.details.fields.map((f: { path: string }) => f.path).sort()).toEqual([
      'room',
      'userName',
      'userType',
    ])
    expect(lk.calls).toHaveLength(0)
  })

  it('should issue a token that verifyLiveKitToken accepts for that room and identity', async () => {
    const { data } = await json(
      await generate(await serviceToken(), { room: 'golden-4', userName: 'Crew', userType: 'car' }),
    )
    const v = await verifyLiveKitToken(loadConfig(env), data.token)
    expect(v).toMatchObject({
      identity: data.identity,
      room: 'golden-4',
      name: 'Crew',
      node: lk.whereIs('golden-4')!.name,
      userType: 'car',
    })
  })

  it('should refuse a closed room with 409', async () => {
    const token = await serviceToken()
    await generate(token, { room: 'golden-5', userName: 'A', userType: 'agent' })
    await db(env.DB)
      .update(conferenceRooms)
      .set({ status: 'closed' })
      .where(eq(conferenceRooms.name, 'golden-5'))
    const res = await generate(token, { room: 'golden-5', userName: 'B', userType: 'agent' })
    expect(res.status).toBe(409)
  })

  it('should still mint a token when no LiveKit node answers, and mark the nodes down', async () => {
    lk.setDown('default')
    lk.setDown('edge')
    const res = await generate(await serviceToken(), { room: 'golden-6', userName: 'A', userType: 'agent' })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(decodeJwt(data.token).sub).toBe(data.identity)
    const nodes = await db(env.DB).select().from(liveKitNodes)
    expect(nodes.map((n) => [n.name, n.healthy]).sort()).toEqual([
      ['default', false],
      ['edge', false],
    ])
    expect(
      await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, 'golden-6')).get(),
    ).toBeDefined()
  })

  it('should answer 502 naming LiveKit when the node answers an error', async () => {
    lk.failNext('RoomService/CreateRoom', 500, 'internal', 'disk full')
    const res = await generate(await serviceToken(), { room: 'golden-7', userName: 'A', userType: 'agent' })
    expect(res.status).toBe(502)
    const body = await json(res)
    expect(body.message).toContain('LiveKit')
    expect(body.data.code).toBe('upstream_error')
    expect(
      await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, 'golden-7')).get(),
    ).toBeUndefined()
  })
})
