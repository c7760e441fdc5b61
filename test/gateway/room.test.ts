import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, files, roomUsers } from '../../src/worker/db/schema'
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

describe('GET /room/detail', () => {
  it('should show the room and its participants to staff', async () => {
    const a = await generate('detail-1')
    const b = await generate('detail-1', 'caller', 'Caller')
    const res = await call('/room/detail?room=detail-1', { token: staff })
    expect(res.status).toBe(200)
    const { status, data } = await json(res)
    expect(status).toBe('SUCCESS')
    expect(data).toMatchObject({ room: 'detail-1', status: 'open', expired: false, auto_record: false })
    expect(data.users.map((u: { identity: string }) => u.identity)).toEqual([a.identity, b.identity])
  })

  it('should let a participant read their own room with their LiveKit token, not another room', async () => {
    const a = await generate('detail-2', 'caller')
    await generate('detail-3')
    expect((await call('/room/detail?room=detail-2', { token: a.token })).status).toBe(200)
    expect((await call('/room/detail?room=detail-3', { token: a.token })).status).toBe(403)
  })

  it('should answer 401 without a token, 403 for a member, 404 for an unknown room', async () => {
    expect((await call('/room/detail?room=detail-x')).status).toBe(401)
    expect((await call('/room/detail?room=detail-x', { token: await mintToken('member') })).status).toBe(403)
    const res = await call('/room/detail?room=detail-x', { token: staff })
    expect(res.status).toBe(404)
    expect((await json(res)).status).toBe('FAIL')
  })

  it('should answer 400 naming `room` when it is missing or malformed', async () => {
    const res = await call('/room/detail?room=a%2Fb', { token: staff })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('room')
  })
})

describe('GET /room/listrooms', () => {
  it('should list rooms newest first, filtered by status', async () => {
    await generate('list-1')
    await generate('list-2')
    await db(env.DB)
      .update(conferenceRooms)
      .set({ status: 'started' })
      .where(eq(conferenceRooms.name, 'list-2'))
    const all = await json(await call('/room/listrooms', { token: staff }))
    expect(all.data.map((r: { room: string }) => r.room).slice(0, 2)).toEqual(['list-2', 'list-1'])
    const started = await json(await call('/room/listrooms?status=started', { token: staff }))
    expect(started.data.map((r: { room: string }) => r.room)).toEqual(['list-2'])
  })
})

describe('GET /room/checkexpired', () => {
  it('should say whether the room has expired', async () => {
    await generate('exp-1')
    expect((await json(await call('/room/checkexpired?room=exp-1', { token: staff }))).data).toMatchObject({
      room: 'exp-1',
      expired: false,
    })
    await db(env.DB)
      .update(conferenceRooms)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(conferenceRooms.name, 'exp-1'))
    expect((await json(await call('/room/checkexpired?room=exp-1', { token: staff }))).data.expired).toBe(
      true,
    )
  })
})

describe('GET /room/verifytoken', () => {
  it('should verify a participant token given as query or bearer', async () => {
    const a = await generate('vt-1', 'viewer', 'Watcher')
    for (const res of [
      await call(`/room/verifytoken?token=${a.token}`),
      await call('/room/verifytoken', { token: a.token }),
    ]) {
      expect(res.status).toBe(200)
      expect((await json(res)).data).toMatchObject({
        valid: true,
        room: 'vt-1',
        identity: a.identity,
        name: 'Watcher',
        user_type: 'viewer',
      })
    }
  })

  it('should answer 401 for a tampered or missing token', async () => {
    const a = await generate('vt-2')
    const tampered = a.token.slice(0, -3) + (a.token.endsWith('AAA') ? 'BBB' : 'AAA')
    expect((await call(`/room/verifytoken?token=${tampered}`)).status).toBe(401)
    expect((await call('/room/verifytoken')).status).toBe(401)
  })
})

describe('GET /room/picture', () => {
  it('should give the latest image uploaded for the room, 404 when none', async () => {
    await generate('pic-1')
    expect((await call('/room/picture?room=pic-1', { token: staff })).status).toBe(404)
    await db(env.DB).insert(files).values({
      id: 'f-pic-1',
      key: 'images/pic-1.png',
      filename: 'pic.png',
      mimeType: 'image/png',
      size: 10,
      room: 'pic-1',
    })
    const { data } = await json(await call('/room/picture?room=pic-1', { token: staff }))
    expect(data).toEqual({
      room: 'pic-1',
      key: 'images/pic-1.png',
      url: 'http://localhost:8787/images/pic-1.png',
    })
  })
})

describe('POST /room/updateuser', () => {
  it('should update a participant’s status and socket id', async () => {
    const a = await generate('uu-1')
    const res = await call('/room/updateuser', {
      method: 'POST',
      token: staff,
      json: { room: 'uu-1', identity: a.identity, status: 'joined', socketId: 'sock-1' },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({
      identity: a.identity,
      status: 'joined',
      socket_id: 'sock-1',
    })
  })

  it('should answer 404 for an unknown participant and change nothing', async () => {
    await generate('uu-2')
    const res = await call('/room/updateuser', {
      method: 'POST',
      token: staff,
      json: { room: 'uu-2', identity: 'nobody', status: 'joined' },
    })
    expect(res.status).toBe(404)
  })
})

describe('PUT /room/updatetype', () => {
  it('should change auto-recording settings and lifetime', async () => {
    await generate('ut-1')
    const res = await call('/room/updatetype', {
      method: 'PUT',
      token: staff,
      json: {
        room: 'ut-1',
        type: 'emergency',
        autoRecord: true,
        recordType: 'TrackComposite',
        expiresIn: 3600,
      },
    })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(data).toMatchObject({ type: 'emergency', auto_record: true, record_type: 'TrackComposite' })
    expect(Date.parse(data.expires_at) - Date.now()).toBeLessThanOrEqual(3600_000)
  })

  it('should refuse an unknown record type with 400 naming it', async () => {
    await generate('ut-2')
    const res = await call('/room/updatetype', {
      method: 'PUT',
      token: staff,
      json: { room: 'ut-2', recordType: 'Video' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('recordType')
  })
})

describe('PUT /room/updatestatus', () => {
  it('should set the status', async () => {
    await generate('us-1')
    const res = await call('/room/updatestatus', {
      method: 'PUT',
      token: staff,
      json: { room: 'us-1', status: 'started' },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ status: 'started', started_at: expect.any(String) })
  })
})

describe('PUT /room/close', () => {
  it('should close in D1, delete the LiveKit room and mark users left', async () => {
    const a = await generate('close-1')
    expect(lk.whereIs('close-1')).toBeDefined()
    const res = await call('/room/close', { method: 'PUT', token: staff, json: { room: 'close-1' } })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ room: 'close-1', status: 'closed', livekit: 'deleted' })
    expect(lk.whereIs('close-1')).toBeUndefined()
    const u = await db(env.DB).select().from(roomUsers).where(eq(roomUsers.identity, a.identity)).get()
    expect(u?.status).toBe('left')
    const del = lk.callsOf('RoomService/DeleteRoom')[0]
    expect(del.grant.roomCreate).toBe(true)
  })

  it('should be idempotent: a second close reports the LiveKit room absent', async () => {
    await generate('close-2')
    await call('/room/close', { method: 'PUT', token: staff, json: { room: 'close-2' } })
    const again = await call('/room/close', { method: 'PUT', token: staff, json: { room: 'close-2' } })
    expect(again.status).toBe(200)
    expect((await json(again)).data.livekit).toBe('absent')
  })

  it('should close in D1 and answer 503 naming LiveKit when the node is unreachable', async () => {
    await generate('close-3')
    lk.setDown(lk.whereIs('close-3')!.name)
    const res = await call('/room/close', { method: 'PUT', token: staff, json: { room: 'close-3' } })
    expect(res.status).toBe(503)
    expect((await json(res)).message).toContain('LiveKit')
    const row = await db(env.DB)
      .select()
      .from(conferenceRooms)
      .where(eq(conferenceRooms.name, 'close-3'))
      .get()
    expect(row?.status).toBe('closed')
  })

  it('should refuse a member with 403 and leave the room open', async () => {
    await generate('close-4')
    const res = await call('/room/close', {
      method: 'PUT',
      token: await mintToken('member'),
      json: { room: 'close-4' },
    })
    expect(res.status).toBe(403)
    expect(lk.whereIs('close-4')).toBeDefined()
  })
})

describe('POST /room/deleteroom', () => {
  it('should delete the room from LiveKit and D1', async () => {
    await generate('del-1')
    const res = await call('/room/deleteroom', { method: 'POST', token: staff, json: { room: 'del-1' } })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toEqual({ room: 'del-1', deleted: true, livekit: 'deleted' })
    expect(
      await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, 'del-1')).get(),
    ).toBeUndefined()
    expect(await db(env.DB).select().from(roomUsers).where(eq(roomUsers.room, 'del-1'))).toEqual([])
    expect(lk.whereIs('del-1')).toBeUndefined()
  })
})

describe('POST /room/verifyuser', () => {
  it('should answer the participant when they belong to the room, 404 otherwise', async () => {
    const a = await generate('vu-1')
    const ok = await call('/room/verifyuser', {
      method: 'POST',
      token: staff,
      json: { room: 'vu-1', identity: a.identity },
    })
    expect((await json(ok)).data.identity).toBe(a.identity)
    const no = await call('/room/verifyuser', {
      method: 'POST',
      token: staff,
      json: { room: 'vu-1', identity: 'x' },
    })
    expect(no.status).toBe(404)
  })
})
