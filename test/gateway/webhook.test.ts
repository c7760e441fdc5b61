import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import {
  conferenceRooms,
  liveKitWebhookEvents,
  recordings,
  roomUsers,
  usageLogs,
} from '../../src/worker/db/schema'
import { pruneWebhookLedger } from '../../src/worker/services/webhook-ledger'
import { call, json, serviceToken, generateParticipant } from '../helpers'
import { configuredNode, installLiveKitDouble, signWebhook, webhookBody } from '../livekit-double'

const lk = installLiveKitDouble()
let staff: string
beforeEach(async () => {
  lk.reset()
  staff ??= await serviceToken()
})

const generate = (room: string, extra: Record<string, unknown> = {}, userType = 'caller') =>
  generateParticipant(staff, room, { userName: 'Somchai', userType, ...extra })

/** Posts a webhook signed by `node` exactly as LiveKit does (raw JWT, sha256 of the body). */
async function deliver(body: string, auth?: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/webhook+json' }
  const a = auth === undefined ? await signWebhook(body) : auth
  if (a !== null) headers.authorization = a
  return call('/webhook', { method: 'POST', headers, body })
}

const roomRow = (name: string) =>
  db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, name)).get()
const userRow = (identity: string) =>
  db(env.DB).select().from(roomUsers).where(eq(roomUsers.identity, identity)).get()
const participant = (identity: string, tracks: { sid: string; type: 'AUDIO' | 'VIDEO' }[] = []) => ({
  sid: `PA_${identity}`,
  identity,
  name: 'Somchai',
  attributes: { userType: 'caller' },
  tracks,
})

describe('POST /webhook verification', () => {
  it('should refuse an unsigned webhook with 401 and change nothing', async () => {
    await generate('wh-v1')
    const res = await deliver(webhookBody('room_started', { room: { name: 'wh-v1' } }), null)
    expect(res.status).toBe(401)
    expect((await roomRow('wh-v1'))?.status).toBe('open')
  })

  it('should refuse a tampered body with 401 and change nothing', async () => {
    await generate('wh-v2')
    const signed = webhookBody('room_started', { room: { name: 'wh-v2' } })
    const auth = await signWebhook(signed)
    const tampered = signed.replace('room_started', 'room_finished')
    const res = await deliver(tampered, auth)
    expect(res.status).toBe(401)
    expect((await json(res)).message).toContain('sha256')
    expect((await roomRow('wh-v2'))?.status).toBe('open')
  })

  it('should refuse a stale (expired) signature with 401', async () => {
    await generate('wh-v3')
    const body = webhookBody('room_started', { room: { name: 'wh-v3' } })
    const res = await deliver(body, await signWebhook(body, configuredNode(), -60))
    expect(res.status).toBe(401)
    expect((await roomRow('wh-v3'))?.status).toBe('open')
  })

  it('should refuse a webhook signed with an unknown key or a wrong secret', async () => {
    const body = webhookBody('room_started', { room: { name: 'wh-v4' } })
    const stranger = {
      name: 'x',
      url: 'http://x',
      apiKey: 'strangerkey',
      apiSecret: 'stranger-secret-stranger-secret-000',
    }
    expect((await deliver(body, await signWebhook(body, stranger))).status).toBe(401)
    const wrong = { ...configuredNode(), apiSecret: 'wrong-secret-wrong-secret-wrong-000' }
    expect((await deliver(body, await signWebhook(body, wrong))).status).toBe(401)
  })

  it('should accept a webhook signed by the second node', async () => {
    await generate('wh-v5')
    const body = webhookBody('room_started', { room: { name: 'wh-v5' } })
    const res = await deliver(body, await signWebhook(body, configuredNode('edge')))
    expect(res.status).toBe(200)
    expect((await roomRow('wh-v5'))?.status).toBe('started')
  })
})

describe('POST /webhook events', () => {
  it('room_started should mark the room started', async () => {
    await generate('wh-e1')
    const res = await deliver(webhookBody('room_started', { room: { name: 'wh-e1' } }))
    expect((await json(res)).data).toEqual({
      event: 'room_started',
      room: 'wh-e1',
      handled: true,
      changed: true,
    })
    expect(await roomRow('wh-e1')).toMatchObject({ status: 'started', startedAt: expect.any(Number) })
  })

  it('should apply a repeated delivery once', async () => {
    await generate('wh-e2')
    const body = webhookBody('room_started', { room: { name: 'wh-e2' } })
    await deliver(body)
    const again = await deliver(body)
    expect((await json(again)).data.changed).toBe(false)
  })

  it('room_finished should mark the room finished and joined users left', async () => {
    const a = await generate('wh-e3')
    await deliver(
      webhookBody('participant_joined', { room: { name: 'wh-e3' }, participant: participant(a.identity) }),
    )
    await deliver(webhookBody('room_finished', { room: { name: 'wh-e3' } }))
    expect((await roomRow('wh-e3'))?.status).toBe('finished')
    expect((await userRow(a.identity))?.status).toBe('left')
  })

  it('participant_joined and participant_left should track the user and log them', async () => {
    const a = await generate('wh-e4')
    await deliver(
      webhookBody('participant_joined', { room: { name: 'wh-e4' }, participant: participant(a.identity) }),
    )
    expect(await userRow(a.identity)).toMatchObject({ status: 'joined', joinedAt: expect.any(Number) })
    await deliver(
      webhookBody('participant_left', { room: { name: 'wh-e4' }, participant: participant(a.identity) }),
    )
    expect(await userRow(a.identity)).toMatchObject({ status: 'left', leftAt: expect.any(Number) })
    const logs = await db(env.DB).select().from(usageLogs).where(eq(usageLogs.room, 'wh-e4'))
    expect(logs.map((l) => l.action)).toEqual(['participant_joined', 'participant_left'])
  })

  it('participant_joined should register a participant whose token was minted elsewhere', async () => {
    await generate('wh-e5')
    await deliver(
      webhookBody('participant_joined', { room: { name: 'wh-e5' }, participant: participant('outsider') }),
    )
    expect(await userRow('outsider')).toMatchObject({ room: 'wh-e5', status: 'joined', userType: 'caller' })
  })

  it('track_published and track_subscribed should be logged', async () => {
    const a = await generate('wh-e6')
    const track = { sid: 'TR_1', type: 'AUDIO' }
    await deliver(
      webhookBody('track_published', {
        room: { name: 'wh-e6' },
        participant: participant(a.identity),
        track,
      }),
    )
    await deliver(
      webhookBody('track_subscribed', {
        room: { name: 'wh-e6' },
        participant: participant(a.identity),
        track,
      }),
    )
    const logs = await db(env.DB).select().from(usageLogs).where(eq(usageLogs.room, 'wh-e6'))
    expect(logs.map((l) => [l.action, JSON.parse(l.detail!).track])).toEqual([
      ['track_published', 'TR_1'],
      ['track_subscribed', 'TR_1'],
    ])
  })

  it('egress_started and egress_ended should store the result with its R2 key', async () => {
    await generate('wh-e7')
    const rec = (await json(await call('/record/request?room=wh-e7', { token: staff }))).data
    expect(rec.status).toBe('starting')
    lk.setEgressStatus(rec.egress_id, 'EGRESS_ACTIVE')
    await deliver(webhookBody('egress_started', { egressInfo: lk.egressInfoJson(rec.egress_id) }))
    expect(await roomRow('wh-e7')).toMatchObject({ recordStatus: 1, recordId: rec.id })
    lk.setEgressStatus(rec.egress_id, 'EGRESS_COMPLETE')
    await deliver(webhookBody('egress_ended', { egressInfo: lk.egressInfoJson(rec.egress_id) }))
    const row = await db(env.DB).select().from(recordings).where(eq(recordings.id, rec.id)).get()
    expect(row).toMatchObject({
      status: 'complete',
      r2Key: `recordings/wh-e7/${rec.id}.mp4`,
      size: 1048576,
      durationMs: 60000,
    })
    expect(await roomRow('wh-e7')).toMatchObject({ recordStatus: 0, recordId: null })
    const files = (await json(await call('/record/file?room=wh-e7', { token: staff }))).data
    expect(files).toHaveLength(1)
    expect(files[0].url).toBe(`http://localhost:8787/record/wh-e7/${rec.id}.mp4`)
  })

  it('egress_ended with a failure should mark the recording failed with the reason', async () => {
    await generate('wh-e8')
    const rec = (await json(await call('/record/request?room=wh-e8', { token: staff }))).data
    lk.setEgressStatus(rec.egress_id, 'EGRESS_FAILED', 'out of disk')
    await deliver(webhookBody('egress_ended', { egressInfo: lk.egressInfoJson(rec.egress_id) }))
    const row = await db(env.DB).select().from(recordings).where(eq(recordings.id, rec.id)).get()
    expect(row).toMatchObject({ status: 'failed', error: 'out of disk' })
  })

  it('should answer an unknown event without changing anything', async () => {
    const res = await deliver(webhookBody('ingress_started', {}))
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ handled: false, changed: false })
  })
})

describe('POST /webhook idempotency and order', () => {
  const secondsAgo = (n: number) => String(Math.floor(Date.now() / 1000) - n)
  const trackLogs = (room: string) =>
    db(env.DB).select().from(usageLogs).where(eq(usageLogs.room, room)).all()

  it('should write one audit row for the same signed track_published delivered twice', async () => {
    const a = await generate('wh-i1')
    const body = webhookBody('track_published', {
      room: { name: 'wh-i1' },
      participant: participant(a.identity),
      track: { sid: 'TR_i1', type: 'AUDIO' },
    })
    const first = await json(await deliver(body))
    const again = await deliver(body)
    expect(again.status).toBe(200)
    expect(first.data).toMatchObject({ changed: true })
    expect(first.data.ignored).toBeUndefined()
    expect((await json(again)).data).toMatchObject({ changed: false, ignored: 'duplicate' })
    expect((await trackLogs('wh-i1')).filter((l) => l.action === 'track_published')).toHaveLength(1)
  })

  it('should not reopen a finished room when its old room_started is replayed', async () => {
    await generate('wh-i2')
    const started = webhookBody('room_started', { room: { name: 'wh-i2' }, createdAt: secondsAgo(30) })
    await deliver(started)
    await deliver(webhookBody('room_finished', { room: { name: 'wh-i2' }, createdAt: secondsAgo(10) }))
    // The very same signed body again, within its signature's lifetime.
    const replay = await json(await deliver(started))
    expect(replay.data).toMatchObject({ changed: false, ignored: 'duplicate' })
    expect((await roomRow('wh-i2'))?.status).toBe('finished')
  })

  it('should not let an older room_started that arrives late undo a newer room_finished', async () => {
    await generate('wh-i3')
    await deliver(webhookBody('room_finished', { room: { name: 'wh-i3' }, createdAt: secondsAgo(5) }))
    const late = await json(
      await deliver(webhookBody('room_started', { room: { name: 'wh-i3' }, createdAt: secondsAgo(20) })),
    )
    expect(late.data).toMatchObject({ changed: false, ignored: 'stale' })
    expect((await roomRow('wh-i3'))?.status).toBe('finished')
    // A room_started created after the finish is a new start and applies.
    const restart = await json(
      await deliver(webhookBody('room_started', { room: { name: 'wh-i3' }, createdAt: secondsAgo(0) })),
    )
    expect(restart.data).toMatchObject({ changed: true })
    expect((await roomRow('wh-i3'))?.status).toBe('started')
  })

  it('should apply participant events in createdAt order, the room finishing after a join included', async () => {
    const a = await generate('wh-i4')
    const b = await generate('wh-i4')
    const event = (name: string, who: string, ago: number) =>
      webhookBody(name, {
        room: { name: 'wh-i4' },
        participant: participant(who),
        createdAt: secondsAgo(ago),
      })
    // a left (newer) arrives before a's join (older): a stays left.
    await deliver(event('participant_left', a.identity, 10))
    const lateJoin = await json(await deliver(event('participant_joined', a.identity, 20)))
    expect(lateJoin.data).toMatchObject({ changed: false, ignored: 'stale' })
    expect((await userRow(a.identity))?.status).not.toBe('joined')
    // The room finished (newer) before b's join (older) arrived: b is not joined to a finished room.
    await deliver(webhookBody('room_finished', { room: { name: 'wh-i4' }, createdAt: secondsAgo(5) }))
    const joinAfterFinish = await json(await deliver(event('participant_joined', b.identity, 8)))
    expect(joinAfterFinish.data).toMatchObject({ changed: false, ignored: 'stale' })
    expect((await userRow(b.identity))?.status).not.toBe('joined')
  })

  it('should keep an event id at least as long as its signature is valid, then forget it', async () => {
    await generate('wh-i5')
    const body = webhookBody('room_started', { room: { name: 'wh-i5' } })
    const id = JSON.parse(body).id as string
    const before = Date.now()
    await deliver(body, await signWebhook(body, configuredNode(), '10m'))
    const row = await db(env.DB)
      .select()
      .from(liveKitWebhookEvents)
      .where(eq(liveKitWebhookEvents.id, id))
      .get()
    expect(row?.expiresAt).toBeGreaterThanOrEqual(before + 10 * 60_000)
    // The cron keeps it while the signature is valid and drops it once it cannot be delivered again.
    await pruneWebhookLedger(db(env.DB), before + 9 * 60_000)
    expect(
      await db(env.DB).select().from(liveKitWebhookEvents).where(eq(liveKitWebhookEvents.id, id)).get(),
    ).toBeDefined()
    await pruneWebhookLedger(db(env.DB), row!.expiresAt + 1)
    expect(
      await db(env.DB).select().from(liveKitWebhookEvents).where(eq(liveKitWebhookEvents.id, id)).get(),
    ).toBeUndefined()
  })

  it('should tell repeats apart by the body when LiveKit sends no id', async () => {
    await generate('wh-i6')
    const a = await generate('wh-i6')
    const body = JSON.stringify({
      event: 'track_published',
      createdAt: secondsAgo(0),
      room: { name: 'wh-i6' },
      participant: participant(a.identity),
      track: { sid: 'TR_i6', type: 'VIDEO' },
    })
    await deliver(body)
    expect((await json(await deliver(body))).data).toMatchObject({ ignored: 'duplicate' })
    expect((await trackLogs('wh-i6')).filter((l) => l.action === 'track_published')).toHaveLength(1)
  })
})

describe('auto-recording (seed 000 §5.2)', () => {
  it('should start a room-composite recording when a participant joins an autoRecord room', async () => {
    const a = await generate('ar-1', { autoRecord: true, recordType: 'RoomCompositeVideoAudio' })
    await deliver(
      webhookBody('participant_joined', { room: { name: 'ar-1' }, participant: participant(a.identity) }),
    )
    const eg = lk.callsOf('Egress/StartRoomCompositeEgress')
    expect(eg).toHaveLength(1)
    expect(eg[0].body.room_name).toBe('ar-1')
    expect(eg[0].body.audio_only ?? false).toBe(false)
    const second = await generate('ar-1')
    await deliver(
      webhookBody('participant_joined', {
        room: { name: 'ar-1' },
        participant: participant(second.identity),
      }),
    )
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(1)
  })

  it('should record audio only for RoomCompositeAudio', async () => {
    const a = await generate('ar-2', { autoRecord: true, recordType: 'RoomCompositeAudio' })
    await deliver(
      webhookBody('participant_joined', { room: { name: 'ar-2' }, participant: participant(a.identity) }),
    )
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')[0].body).toMatchObject({ audio_only: true })
    const rec = await db(env.DB).select().from(recordings).where(eq(recordings.room, 'ar-2')).get()
    expect(rec?.r2Key).toMatch(/^recordings\/ar-2\/.+\.ogg$/)
  })

  it('should wait for both audio and video tracks before a TrackComposite recording', async () => {
    const a = await generate('ar-3', { autoRecord: true, recordType: 'TrackComposite' })
    lk.join('ar-3', a.identity, { tracks: ['audio', 'video'] })
    await deliver(
      webhookBody('participant_joined', { room: { name: 'ar-3' }, participant: participant(a.identity) }),
    )
    const audio = { sid: 'TR_a', type: 'AUDIO' as const }
    const video = { sid: 'TR_v', type: 'VIDEO' as const }
    await deliver(
      webhookBody('track_published', {
        room: { name: 'ar-3' },
        participant: participant(a.identity, [audio]),
        track: audio,
      }),
    )
    expect(lk.callsOf('Egress/StartTrackCompositeEgress')).toHaveLength(0)
    await deliver(
      webhookBody('track_published', {
        room: { name: 'ar-3' },
        participant: participant(a.identity, [audio, video]),
        track: video,
      }),
    )
    const eg = lk.callsOf('Egress/StartTrackCompositeEgress')
    expect(eg).toHaveLength(1)
    expect(eg[0].body).toMatchObject({ room_name: 'ar-3', audio_track_id: 'TR_a', video_track_id: 'TR_v' })
  })

  it('should not record a room without autoRecord', async () => {
    const a = await generate('ar-4')
    await deliver(
      webhookBody('participant_joined', { room: { name: 'ar-4' }, participant: participant(a.identity) }),
    )
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(0)
  })
})
