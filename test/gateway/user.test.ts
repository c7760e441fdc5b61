import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { eq } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, roomUsers, usageLogs } from '../../src/worker/db/schema'
import { call, json, mintToken, serviceToken, generateParticipant } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

const lk = installLiveKitDouble()
let staff: string
beforeEach(async () => {
  lk.reset()
  staff ??= await serviceToken()
})

const generate = (room: string, userType = 'agent', userName = 'Agent') =>
  generateParticipant(staff, room, { userType, userName })
const post = (path: string, body: unknown, token = staff) => call(path, { method: 'POST', token, json: body })

describe('GET /user/getuseralreadyinroom', () => {
  it('should find joined participants by name', async () => {
    const a = await generate('air-1', 'caller', 'Somchai')
    const before = await json(
      await call('/user/getuseralreadyinroom?room=air-1&userName=Somchai', { token: staff }),
    )
    expect(before.data).toMatchObject({ in_room: false, users: [] })
    await db(env.DB).update(roomUsers).set({ status: 'joined' }).where(eq(roomUsers.identity, a.identity))
    const after = await json(
      await call('/user/getuseralreadyinroom?room=air-1&userName=Somchai', { token: staff }),
    )
    expect(after.data.in_room).toBe(true)
    expect(after.data.users[0].identity).toBe(a.identity)
  })
})

describe('GET /user/getuserdetail', () => {
  it('should give a participant to staff and to themselves', async () => {
    const a = await generate('ud-1', 'caller', 'Caller')
    for (const token of [staff, a.token]) {
      const res = await call(`/user/getuserdetail?room=ud-1&identity=${a.identity}`, { token })
      expect(res.status).toBe(200)
      expect((await json(res)).data).toMatchObject({
        identity: a.identity,
        name: 'Caller',
        user_type: 'caller',
      })
    }
  })

  it('should answer 400 naming identity when it is missing', async () => {
    await generate('ud-2')
    const res = await call('/user/getuserdetail?room=ud-2', { token: staff })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('identity')
  })
})

describe('GET /user/listparticipants', () => {
  it('should list LiveKit participants through ListParticipants with a roomAdmin grant for the room', async () => {
    await generate('lp-1')
    lk.join('lp-1', 'caller-abc', { tracks: ['audio'] })
    const res = await call('/user/listparticipants?room=lp-1', { token: staff })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(data.participants.map((p: { identity: string }) => p.identity)).toEqual(['caller-abc'])
    const c = lk.callsOf('RoomService/ListParticipants')[0]
    expect(c.grant).toMatchObject({ roomAdmin: true, room: 'lp-1' })
  })

  it('should answer 503 naming LiveKit when the node is down', async () => {
    await generate('lp-2')
    lk.setDown(lk.whereIs('lp-2')!.name)
    const res = await call('/user/listparticipants?room=lp-2', { token: staff })
    expect(res.status).toBe(503)
    expect((await json(res)).message).toMatch(/LiveKit node ".+" is unreachable/)
  })
})

describe('POST /user/joingenerate', () => {
  it('should add a participant to an existing room with the caller’s role as user type', async () => {
    await generate('jg-1')
    const agent = await mintToken('agent')
    const res = await post('/user/joingenerate', { room: 'jg-1', userName: 'Second agent' }, agent)
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(data.identity).toMatch(/^agent-/)
    expect((decodeJwt(data.token) as any).video.room).toBe('jg-1')
    expect(lk.callsOf('RoomService/CreateRoom')).toHaveLength(1)
  })

  it('should answer 404 for a room that does not exist and create none', async () => {
    const res = await post('/user/joingenerate', { room: 'jg-missing', userName: 'X' })
    expect(res.status).toBe(404)
    expect(
      await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, 'jg-missing')).get(),
    ).toBeUndefined()
  })
})

describe('POST /user/generateChatUser', () => {
  it('should mint a hidden, data-only token', async () => {
    await generate('cu-1')
    const { data } = await json(await post('/user/generateChatUser', { room: 'cu-1', userName: 'Chatter' }))
    const video = (decodeJwt(data.token) as any).video
    expect(data.identity).toMatch(/^chat-/)
    expect(video).toMatchObject({
      room: 'cu-1',
      roomJoin: true,
      hidden: true,
      canPublish: false,
      canPublishData: true,
    })
  })
})

describe('LiveKit participant control', () => {
  it('should update a participant in LiveKit and their name in D1', async () => {
    const a = await generate('pc-1', 'caller', 'Old')
    lk.join('pc-1', a.identity)
    const res = await post('/user/updateparticipants', {
      room: 'pc-1',
      identity: a.identity,
      name: 'New',
      metadata: '{"x":1}',
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data.participant).toMatchObject({ name: 'New', metadata: '{"x":1}' })
    const row = await db(env.DB).select().from(roomUsers).where(eq(roomUsers.identity, a.identity)).get()
    expect(row?.name).toBe('New')
    expect(lk.callsOf('RoomService/UpdateParticipant')[0].grant).toMatchObject({
      roomAdmin: true,
      room: 'pc-1',
    })
  })

  it('should refuse an update with nothing to change with 400', async () => {
    const a = await generate('pc-2')
    const res = await post('/user/updateparticipants', { room: 'pc-2', identity: a.identity })
    expect(res.status).toBe(400)
    expect(lk.callsOf('RoomService/UpdateParticipant')).toHaveLength(0)
  })

  it('should mute one published track', async () => {
    const a = await generate('pc-3')
    const p = lk.join('pc-3', a.identity, { tracks: ['audio', 'video'] })
    const res = await post('/user/mutepublishedtrack', {
      room: 'pc-3',
      identity: a.identity,
      trackSid: p.tracks[0].sid,
      muted: true,
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data.track).toMatchObject({ sid: p.tracks[0].sid, muted: true })
    expect(p.tracks.map((t) => t.muted)).toEqual([true, false])
  })

  it('should answer 404 naming LiveKit for an unknown track', async () => {
    const a = await generate('pc-4')
    lk.join('pc-4', a.identity, { tracks: ['audio'] })
    const res = await post('/user/mutepublishedtrack', {
      room: 'pc-4',
      identity: a.identity,
      trackSid: 'TR_nope',
      muted: true,
    })
    expect(res.status).toBe(404)
    expect((await json(res)).message).toContain('LiveKit')
  })

  it('should mute a participant’s video tracks by kind with PUT /user/handle/track', async () => {
    const a = await generate('pc-5')
    const p = lk.join('pc-5', a.identity, { tracks: ['audio', 'video'] })
    const res = await call('/user/handle/track', {
      method: 'PUT',
      token: staff,
      json: { room: 'pc-5', identity: a.identity, kind: 'video', muted: true },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data.tracks).toEqual([p.tracks[1].sid])
    expect(p.tracks.map((t) => t.muted)).toEqual([false, true])
  })

  it('should remove a participant from LiveKit and mark them removed', async () => {
    const a = await generate('pc-6')
    lk.join('pc-6', a.identity)
    const res = await post('/user/removeParticipant', { room: 'pc-6', identity: a.identity })
    expect(res.status).toBe(200)
    expect(lk.node(lk.whereIs('pc-6')!.name).rooms.get('pc-6')!.participants.size).toBe(0)
    const row = await db(env.DB).select().from(roomUsers).where(eq(roomUsers.identity, a.identity)).get()
    expect(row?.status).toBe('removed')
  })

  it('should refuse participant control to a member with 403 and call no LiveKit method', async () => {
    const a = await generate('pc-7')
    lk.calls.length = 0
    const res = await post(
      '/user/removeParticipant',
      { room: 'pc-7', identity: a.identity },
      await mintToken('member'),
    )
    expect(res.status).toBe(403)
    expect(lk.calls).toHaveLength(0)
  })
})

describe('GET /user/log', () => {
  it('should list a room’s audit trail newest first', async () => {
    await db(env.DB)
      .insert(usageLogs)
      .values([
        { room: 'log-1', identity: 'a', action: 'participant_joined', detail: '{"x":1}' },
        { room: 'log-1', identity: 'a', action: 'participant_left', detail: 'plain text' },
        { room: 'log-2', identity: 'b', action: 'participant_joined' },
      ])
    const { data } = await json(await call('/user/log?room=log-1', { token: staff }))
    expect(data.map((e: { action: string }) => e.action)).toEqual(['participant_left', 'participant_joined'])
    expect(data[0].detail).toBe('plain text')
    expect(data[1].detail).toEqual({ x: 1 })
  })
})
