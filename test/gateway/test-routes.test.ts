import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { beforeEach, describe, expect, it } from 'vitest'
import { db } from '../../src/worker/db/client'
import { recordings, usageLogs } from '../../src/worker/db/schema'
import { DIAGNOSTICS_PREFIX } from '../../src/worker/services/diagnostics'
import { call, generateParticipant, json, mintToken, serviceToken } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

const lk = installLiveKitDouble()
let admin: string
let staff: string
beforeEach(async () => {
  lk.reset()
  admin ??= await mintToken('admin')
  staff ??= await serviceToken()
})

describe('/test/* (seed 000 debugging routes) are admin only', () => {
  it('should answer 401 without a token and 403 to staff who are not admins', async () => {
    expect((await call('/test/redis/connection')).status).toBe(401)
    expect((await call('/test/redis/connection', { token: staff })).status).toBe(403)
    expect(
      (await call('/test/mp4/queue', { method: 'DELETE', token: await mintToken('agent') })).status,
    ).toBe(403)
  })
})

describe('/test/redis/*: the stores this system uses instead of Redis', () => {
  it('should reach D1, R2 and a Durable Object', async () => {
    const res = await call('/test/redis/connection', { token: admin })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(data).toMatchObject({ ok: true, d1: { ok: true }, r2: { ok: true }, objects: { ok: true } })
  })

  it('should round-trip a value through D1 and R2 and leave nothing behind', async () => {
    const res = await call('/test/redis/operations', { token: admin })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ ok: true, d1: { ok: true }, r2: { ok: true } })
    expect((await env.BUCKET.list({ prefix: DIAGNOSTICS_PREFIX })).objects).toHaveLength(0)
    expect(
      await db(env.DB).select().from(usageLogs).where(eq(usageLogs.action, 'diagnostics')).all(),
    ).toEqual([])
  })

  it('should clear leftovers of interrupted round trips, and only those', async () => {
    await env.BUCKET.put(`${DIAGNOSTICS_PREFIX}left-1`, 'x')
    await env.BUCKET.put('files/keep-me', 'y')
    await db(env.DB).insert(usageLogs).values({ action: 'diagnostics', detail: 'left' })
    await db(env.DB).insert(usageLogs).values({ action: 'join', room: 'keep-log' })
    const { data } = await json(await call('/test/redis/clear', { method: 'DELETE', token: admin }))
    expect(data).toEqual({ r2_objects: 1, d1_rows: 1 })
    expect(await env.BUCKET.head('files/keep-me')).not.toBeNull()
    expect(
      await db(env.DB).select().from(usageLogs).where(eq(usageLogs.room, 'keep-log')).all(),
    ).toHaveLength(1)
  })
})

describe('/test/mp4/queue: the recording queue', () => {
  it('should list queued recordings oldest first and abort one or all without calling LiveKit', async () => {
    await db(env.DB).delete(recordings)
    const rooms = ['tq-1', 'tq-2', 'tq-3', 'tq-4', 'tq-5', 'tq-6', 'tq-7']
    for (const r of rooms) await generateParticipant(staff, r)
    const recs = []
    for (const r of rooms)
      recs.push((await json(await call(`/record/request?room=${r}`, { token: staff }))).data)
    const queue = (await json(await call('/test/mp4/queue', { token: admin }))).data
    expect(queue.map((r: { room: string }) => r.room)).toEqual(['tq-5', 'tq-6', 'tq-7'])
    const stopsBefore = lk.callsOf('Egress/StopEgress').length

    const one = await call(`/test/mp4/queue/${recs[5].id}`, { method: 'DELETE', token: admin })
    expect(one.status).toBe(200)
    expect((await json(one)).data).toEqual([expect.objectContaining({ id: recs[5].id, status: 'aborted' })])
    const running = await call(`/test/mp4/queue/${recs[0].id}`, { method: 'DELETE', token: admin })
    expect(running.status).toBe(409)
    expect((await json(running)).message).toBe(`Recording ${recs[0].id} is starting, not queued`)
    expect((await call('/test/mp4/queue/nope', { method: 'DELETE', token: admin })).status).toBe(404)

    const all = (await json(await call('/test/mp4/queue', { method: 'DELETE', token: admin }))).data
    expect(all.map((r: { room: string }) => r.room)).toEqual(['tq-5', 'tq-7'])
    expect((await json(await call('/test/mp4/queue', { token: admin }))).data).toEqual([])
    const rows = await db(env.DB).select().from(recordings).where(eq(recordings.room, 'tq-1')).get()
    expect(rows!.status).toBe('starting') // running recordings are not touched
    expect(lk.callsOf('Egress/StopEgress')).toHaveLength(stopsBefore)
  })
})

describe('GET /test?room=: unmute everyone', () => {
  it('should unmute every muted published track of the room through LiveKit', async () => {
    await generateParticipant(staff, 'unmute-1')
    const a = lk.join('unmute-1', 'caller-a', { tracks: ['audio', 'video'] })
    const b = lk.join('unmute-1', 'agent-b', { tracks: ['audio'] })
    a.tracks[0].muted = true
    b.tracks[0].muted = true
    const res = await call('/test?room=unmute-1', { token: admin })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(data.unmuted).toEqual([
      { identity: 'caller-a', track_sid: a.tracks[0].sid },
      { identity: 'agent-b', track_sid: b.tracks[0].sid },
    ])
    expect([...a.tracks, ...b.tracks].every((t) => !t.muted)).toBe(true)
    expect(lk.callsOf('RoomService/MutePublishedTrack')).toHaveLength(2)
  })

  it('should answer 400 naming room without one and 404 for an unknown room', async () => {
    const res = await call('/test', { token: admin })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('room')
    expect((await call('/test?room=no-such-room', { token: admin })).status).toBe(404)
  })
})
