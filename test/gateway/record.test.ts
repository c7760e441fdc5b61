import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { eq, inArray } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, recordings } from '../../src/worker/db/schema'
import { call, json, mintToken, runCron, serviceToken, generateParticipant } from '../helpers'
import { deliverWebhook, installLiveKitDouble, webhookBody } from '../livekit-double'

const lk = installLiveKitDouble()
let staff: string
beforeEach(async () => {
  lk.reset()
  await db(env.DB).delete(recordings)
  staff ??= await serviceToken()
})

const generate = (room: string) => generateParticipant(staff, room)
const request = async (query: string) => call(`/record/request?${query}`, { token: staff })
const start = async (room: string) => (await json(await request(`room=${room}`))).data
async function endEgress(egressId: string) {
  lk.setEgressStatus(egressId, 'EGRESS_COMPLETE')
  const body = webhookBody('egress_ended', { egressInfo: lk.egressInfoJson(egressId) })
  expect((await deliverWebhook(body)).status).toBe(200)
}
const statuses = async () =>
  Object.fromEntries((await db(env.DB).select().from(recordings)).map((r) => [r.room, r.status]))

describe('GET /record/request', () => {
  it('should start a room-composite egress to R2 under recordings/ and mark the room recording', async () => {
    await generate('rec-1')
    const res = await request('room=rec-1')
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect(data).toMatchObject({
      room: 'rec-1',
      kind: 'room_composite',
      status: 'starting',
      egress_id: expect.stringMatching(/^EG_/),
    })
    expect(data.r2_key).toBe(`recordings/rec-1/${data.id}.mp4`)
    const call0 = lk.callsOf('Egress/StartRoomCompositeEgress')[0]
    expect(call0.grant.roomRecord).toBe(true)
    expect(call0.body.file_outputs[0].filepath).toBe(data.r2_key)
    expect(
      (await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, 'rec-1')).get())
        ?.recordStatus,
    ).toBe(1)
  })

  it('should start a track-composite egress with the given tracks', async () => {
    await generate('rec-2')
    const res = await request('room=rec-2&type=TrackComposite&audioTrackId=TR_a&videoTrackId=TR_v')
    expect((await json(res)).data.kind).toBe('track_composite')
    expect(lk.callsOf('Egress/StartTrackCompositeEgress')[0].body).toMatchObject({
      audio_track_id: 'TR_a',
      video_track_id: 'TR_v',
    })
  })

  it('should refuse a second recording of the same room with 409', async () => {
    await generate('rec-3')
    await start('rec-3')
    expect((await request('room=rec-3')).status).toBe(409)
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(1)
  })

  it('should answer 400 for a track composite without tracks and 404 for an unknown room', async () => {
    await generate('rec-4')
    expect((await request('room=rec-4&type=track_composite')).status).toBe(400)
    expect((await request('room=nope-room')).status).toBe(404)
    expect(lk.callsOf('Egress/StartTrackCompositeEgress')).toHaveLength(0)
  })

  it('should mark the recording failed and answer 503 naming LiveKit when the node is down', async () => {
    await generate('rec-5')
    lk.setDown(lk.whereIs('rec-5')!.name)
    const res = await request('room=rec-5')
    expect(res.status).toBe(503)
    expect((await json(res)).message).toContain('LiveKit')
    expect((await statuses())['rec-5']).toBe('failed')
  })

  it('should stop a running recording with action=stop (StopEgress)', async () => {
    await generate('rec-6')
    const rec = await start('rec-6')
    const res = await request('room=rec-6&action=stop')
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ id: rec.id, status: 'ending' })
    expect(lk.callsOf('Egress/StopEgress')[0].body.egress_id).toBe(rec.egress_id)
  })

  it('should refuse a member with 403', async () => {
    await generate('rec-7')
    expect((await call('/record/request?room=rec-7', { token: await mintToken('member') })).status).toBe(403)
  })
})

describe('EGRESS_LIMIT cap and queue', () => {
  it('should queue requests beyond the cap and start them as slots free', async () => {
    const rooms = ['cap-1', 'cap-2', 'cap-3', 'cap-4', 'cap-5', 'cap-6']
    for (const r of rooms) await generate(r)
    const recs = []
    for (const r of rooms) recs.push(await start(r))
    expect(recs.map((r) => r.status)).toEqual([
      'starting',
      'starting',
      'starting',
      'starting',
      'queued',
      'queued',
    ])
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(4)
    const check = (await json(await call('/record/check?room=cap-5', { token: staff }))).data
    expect(check).toMatchObject({ egress_limit: 4, active: 4, queued: 2, available: false, recording: false })
    expect(check.current.status).toBe('queued')

    await endEgress(recs[0].egress_id)
    expect(await statuses()).toMatchObject({ 'cap-1': 'complete', 'cap-5': 'starting', 'cap-6': 'queued' })
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(5)
  })

  it('should never exceed the cap when requests race', async () => {
    const rooms = Array.from({ length: 8 }, (_, i) => `race-${i}`)
    for (const r of rooms) await generate(r)
    const results = await Promise.all(rooms.map((r) => start(r)))
    expect(results.filter((r) => r.status === 'starting')).toHaveLength(4)
    expect(results.filter((r) => r.status === 'queued')).toHaveLength(4)
  })

  it('should start queued recordings in the 10-minute sweep when a slot freed without a webhook', async () => {
    for (const r of ['sw-1', 'sw-2', 'sw-3', 'sw-4', 'sw-5']) await generate(r)
    for (const r of ['sw-1', 'sw-2', 'sw-3', 'sw-4', 'sw-5']) await start(r)
    await db(env.DB).update(recordings).set({ status: 'complete' }).where(eq(recordings.room, 'sw-1'))
    await runCron('*/10 * * * *')
    expect((await statuses())['sw-5']).toBe('starting')
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(5)
  })

  it('should abort a queued recording when stopped, without calling LiveKit', async () => {
    for (const r of ['q-1', 'q-2', 'q-3', 'q-4', 'q-5']) await generate(r)
    for (const r of ['q-1', 'q-2', 'q-3', 'q-4', 'q-5']) await start(r)
    const stops = lk.callsOf('Egress/StopEgress').length
    const res = await request('room=q-5&action=stop')
    expect((await json(res)).data.status).toBe('aborted')
    expect(lk.callsOf('Egress/StopEgress')).toHaveLength(stops)
  })
})

describe('the 10-minute sweep reconciles recordings whose webhooks never came', () => {
  const age = (room: string, ms: number) =>
    db(env.DB)
      .update(recordings)
      .set({ startedAt: Date.now() - ms })
      .where(eq(recordings.room, room))
  const row = (room: string) => db(env.DB).select().from(recordings).where(eq(recordings.room, room)).get()

  it('should fail a slot claimed but never started, freeing it for the queue', async () => {
    for (const r of ['lost-1', 'lost-2', 'lost-3', 'lost-4', 'lost-5']) await generate(r)
    for (const r of ['lost-1', 'lost-2', 'lost-3', 'lost-4', 'lost-5']) await start(r)
    // As if the Worker died between the claim and StartEgress: a slot without an egress id.
    await db(env.DB)
      .update(recordings)
      .set({ egressId: null, startedAt: Date.now() - 3 * 60_000 })
      .where(eq(recordings.room, 'lost-1'))
    await db(env.DB)
      .update(recordings)
      .set({ egressId: null, startedAt: Date.now() - 10_000 })
      .where(eq(recordings.room, 'lost-2'))
    await runCron('*/10 * * * *')
    expect(await row('lost-1')).toMatchObject({
      status: 'failed',
      error: 'egress was never started (slot claim expired)',
    })
    expect((await row('lost-2'))!.status).toBe('starting') // a fresh claim may still be starting
    expect((await row('lost-5'))!.status).toBe('starting') // took the freed slot
  })

  it('should complete a recording whose egress_ended webhook was lost, from ListEgress', async () => {
    await generate('lostend-1')
    const rec = await start('lostend-1')
    lk.setEgressStatus(rec.egress_id, 'EGRESS_COMPLETE')
    await runCron('*/10 * * * *')
    expect((await row('lostend-1'))!.status).toBe('starting') // too fresh to ask LiveKit about
    await age('lostend-1', 5 * 60_000)
    await runCron('*/10 * * * *')
    expect(await row('lostend-1')).toMatchObject({ status: 'complete', size: 1048576, durationMs: 60000 })
    const room = await db(env.DB)
      .select()
      .from(conferenceRooms)
      .where(eq(conferenceRooms.name, 'lostend-1'))
      .get()
    expect(room).toMatchObject({ recordStatus: 0, recordId: null })
  })

  it('should mark active what LiveKit reports active, fail what it no longer knows, and leave all alone when it is down', async () => {
    for (const r of ['lk-active', 'lk-gone']) await generate(r)
    const active = await start('lk-active')
    await start('lk-gone')
    lk.setEgressStatus(active.egress_id, 'EGRESS_ACTIVE')
    await db(env.DB)
      .update(recordings)
      .set({ egressId: 'EG_unknown_to_livekit' })
      .where(eq(recordings.room, 'lk-gone'))
    await age('lk-active', 5 * 60_000)
    await age('lk-gone', 5 * 60_000)

    for (const node of lk.nodes.keys()) lk.setDown(node)
    await runCron('*/10 * * * *')
    expect((await row('lk-active'))!.status).toBe('starting')
    expect((await row('lk-gone'))!.status).toBe('starting')

    for (const node of lk.nodes.keys()) lk.setDown(node, false)
    await runCron('*/10 * * * *')
    expect((await row('lk-active'))!.status).toBe('active')
    expect(await row('lk-gone')).toMatchObject({
      status: 'failed',
      error: 'LiveKit no longer knows egress EG_unknown_to_livekit',
    })
    // Its room no longer shows a recording.
    const gone = await db(env.DB)
      .select()
      .from(conferenceRooms)
      .where(eq(conferenceRooms.name, 'lk-gone'))
      .get()
    expect(gone).toMatchObject({ recordStatus: 0, recordId: null })
  })
})

describe('GET /record/stopall, /record/list', () => {
  it('should stop every running recording and abort queued ones', async () => {
    for (const r of ['sa-1', 'sa-2', 'sa-3', 'sa-4', 'sa-5']) await generate(r)
    for (const r of ['sa-1', 'sa-2', 'sa-3', 'sa-4', 'sa-5']) await start(r)
    const { data } = await json(await call('/record/stopall', { token: staff }))
    expect(data.failed).toEqual([])
    expect(data.stopped.map((r: { status: string }) => r.status).sort()).toEqual([
      'aborted',
      'ending',
      'ending',
      'ending',
      'ending',
    ])
    expect(lk.callsOf('Egress/StopEgress')).toHaveLength(4)
    const left = await db(env.DB)
      .select()
      .from(recordings)
      .where(inArray(recordings.status, ['queued', 'starting']))
    expect(left).toEqual([])
  })

  it('should list LiveKit egress for a room with ListEgress', async () => {
    await generate('ls-1')
    const rec = await start('ls-1')
    const { data } = await json(await call('/record/list?room=ls-1', { token: staff }))
    expect(data.items.map((e: { egressId: string }) => e.egressId)).toEqual([rec.egress_id])
    expect(lk.callsOf('Egress/ListEgress')[0].grant.roomRecord).toBe(true)
  })
})

describe('GET /record/file and the static /record/{room}/{file} path', () => {
  it('should list a finished recording with a URL that serves its R2 object, with ranges', async () => {
    await generate('file-1')
    const rec = await start('file-1')
    await endEgress(rec.egress_id)
    // What egress uploaded through R2's S3 API:
    const bytes = new Uint8Array(2048).map((_, i) => i % 251)
    await env.BUCKET.put(rec.r2_key, bytes, { httpMetadata: { contentType: 'video/mp4' } })

    const list = (await json(await call('/record/file?room=file-1', { token: staff }))).data
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ id: rec.id, status: 'complete', size: 1048576 })
    const path = new URL(list[0].url).pathname
    expect(path).toBe(`/record/file-1/${rec.id}.mp4`)

    const whole = await call(path)
    expect(whole.status).toBe(200)
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(bytes)
    const part = await call(path, { headers: { range: 'bytes=100-199' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 100-199/2048')
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(100, 200))
  })

  it('should answer 404 for a file that is not there and 400 for a name outside the pattern', async () => {
    expect((await call('/record/file-1/nope.mp4')).status).toBe(404)
    const bad = await call('/record/file-1/x.exe')
    expect(bad.status).toBe(400)
    expect((await json(bad)).data.details.fields[0].path).toBe('file')
  })
})
