import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/worker/config'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, liveSessions, recordings } from '../../src/worker/db/schema'
import { AppError } from '../../src/worker/lib/errors'
import { claimRecording } from '../../src/worker/services/recordings'
import { ChatClient } from '../chat-client'
import {
  call,
  generateParticipant,
  json,
  registerUser,
  runCron,
  serviceToken,
  type TestUser,
} from '../helpers'
import { deliverWebhook, installLiveKitDouble, webhookBody } from '../livekit-double'

/*
 * Conference rooms (seed 000) and live sessions (seed 002) record through one service
 * (services/recordings.ts). Every end state of a recording is checked for both owners: the
 * recording row, and whether its owner still shows it (a room's record_status, a session's
 * `recording`).
 */

const lk = installLiveKitDouble()
let staff: string
let mentor: TestUser
beforeAll(async () => {
  ;[staff, mentor] = await Promise.all([serviceToken(), registerUser({ role: 'mentor' })])
})
beforeEach(async () => {
  lk.reset()
  await db(env.DB).delete(recordings)
})

let n = 0
const live = (path: string, init: Parameters<typeof call>[1] = {}) =>
  call(`/api/v1/live${path}`, { method: 'POST', token: mentor.access_token, ...init })

async function liveSession(body: Record<string, unknown> = {}) {
  const res = await live('/sessions', { json: { title: 'Briefing', ...body } })
  expect(res.status).toBe(201)
  return (await json(res)).data.session_id as string
}

interface Started {
  /** The room name or session id. */
  key: string
  recordId: string
  egressId: string
}

interface Owner {
  start(): Promise<Started>
  stop(key: string): Promise<Response>
  /** Whether the owner shows a running recording. */
  shows(key: string): Promise<boolean>
}

const OWNERS: Record<'room' | 'live', Owner> = {
  room: {
    async start() {
      const room = `ro-${Date.now().toString(36)}-${++n}`
      await generateParticipant(staff, room)
      const res = await call(`/record/request?room=${room}`, { token: staff })
      expect(res.status).toBe(200)
      const { data } = await json(res)
      return { key: room, recordId: data.id, egressId: data.egress_id }
    },
    stop: (room) => call(`/record/request?room=${room}&action=stop`, { token: staff }),
    async shows(room) {
      const row = await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, room)).get()
      const detail = (await json(await call(`/room/detail?room=${room}`, { token: staff }))).data
      expect(detail.record_status).toBe(row!.recordStatus)
      return row!.recordStatus === 1 && row!.recordId !== null
    },
  },
  live: {
    async start() {
      const id = await liveSession()
      expect((await live(`/sessions/${id}/start`)).status).toBe(200)
      const res = await live(`/sessions/${id}/recording/start`)
      expect(res.status).toBe(200)
      const { data } = await json(res)
      return { key: id, recordId: data.recording_id, egressId: data.egress_id }
    },
    stop: (id) => live(`/sessions/${id}/recording/stop`),
    async shows(id) {
      const row = await db(env.DB).select().from(liveSessions).where(eq(liveSessions.id, id)).get()
      const view = (await json(await call(`/api/v1/live/sessions/${id}`, { token: mentor.access_token })))
        .data
      expect(view.recording).toBe(row!.recordingId !== null)
      return row!.recordingId !== null
    },
  },
}

async function egressEnds(egressId: string, status: 'EGRESS_COMPLETE' | 'EGRESS_FAILED' | 'EGRESS_ABORTED') {
  lk.setEgressStatus(egressId, status, status === 'EGRESS_FAILED' ? 'encoder crashed' : '')
  const body = webhookBody('egress_ended', { egressInfo: lk.egressInfoJson(egressId) })
  expect((await deliverWebhook(body)).status).toBe(200)
}

const recording = (id: string) => db(env.DB).select().from(recordings).where(eq(recordings.id, id)).get()

describe.each(['room', 'live'] as const)('a %s recording', (kind) => {
  const owner = OWNERS[kind]

  it('should be shown while running and while ending, then complete with its file and be shown no more', async () => {
    const s = await owner.start()
    expect(await owner.shows(s.key)).toBe(true)
    expect((await recording(s.recordId))!.owner).toBe(kind)
    expect((await owner.stop(s.key)).status).toBe(200)
    expect((await recording(s.recordId))!.status).toBe('ending')
    expect(await owner.shows(s.key)).toBe(true)
    await egressEnds(s.egressId, 'EGRESS_COMPLETE')
    const row = await recording(s.recordId)
    expect(row).toMatchObject({ status: 'complete', size: 1_048_576, durationMs: 60_000 })
    expect(row!.r2Key).toBe(
      kind === 'room'
        ? `recordings/${s.key}/${s.recordId}.mp4`
        : `recordings/live/${s.key}/${s.recordId}.mp4`,
    )
    expect(await owner.shows(s.key)).toBe(false)
  })

  it('should end failed when the egress fails on its own, and the owner may record again', async () => {
    const s = await owner.start()
    await egressEnds(s.egressId, 'EGRESS_FAILED')
    expect(await recording(s.recordId)).toMatchObject({ status: 'failed', error: 'encoder crashed' })
    expect(await owner.shows(s.key)).toBe(false)
    const again =
      kind === 'room'
        ? await call(`/record/request?room=${s.key}`, { token: staff })
        : await live(`/sessions/${s.key}/recording/start`)
    expect(again.status).toBe(200)
  })

  it('should end aborted when LiveKit aborts the egress', async () => {
    const s = await owner.start()
    await egressEnds(s.egressId, 'EGRESS_ABORTED')
    expect((await recording(s.recordId))!.status).toBe('aborted')
    expect(await owner.shows(s.key)).toBe(false)
  })

  it('should end failed in the sweep when LiveKit no longer knows the egress', async () => {
    const s = await owner.start()
    await db(env.DB)
      .update(recordings)
      .set({ egressId: `EG_forgotten_${kind}`, startedAt: Date.now() - 5 * 60_000 })
      .where(eq(recordings.id, s.recordId))
    await runCron('*/10 * * * *')
    expect((await recording(s.recordId))!.status).toBe('failed')
    expect(await owner.shows(s.key)).toBe(false)
  })

  it('should never be shown when LiveKit refuses the egress (502), and the slot is free again', async () => {
    lk.failNext('Egress/StartRoomCompositeEgress', 500, 'internal', 'no egress workers')
    const res =
      kind === 'room'
        ? await (async () => {
            const room = `rf-${Date.now().toString(36)}-${++n}`
            await generateParticipant(staff, room)
            return { key: room, res: await call(`/record/request?room=${room}`, { token: staff }) }
          })()
        : await (async () => {
            const id = await liveSession()
            await live(`/sessions/${id}/start`)
            return { key: id, res: await live(`/sessions/${id}/recording/start`) }
          })()
    expect(res.res.status).toBe(502)
    const rows = await db(env.DB).select().from(recordings).where(eq(recordings.room, res.key))
    expect(rows.map((r) => r.status)).toEqual(['failed'])
    expect(await owner.shows(res.key)).toBe(false)
  })

  it('should be refused with a 409 naming LIVEKIT_RECORDING_ENABLED when recording is off', async () => {
    const config = { ...loadConfig(env), LIVEKIT_RECORDING_ENABLED: false }
    const err = await claimRecording(env, db(env.DB), config, {
      owner: kind,
      room: `off-${kind}`,
      kind: 'room_composite',
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).status).toBe(409)
    expect((err as AppError).message).toMatch(/LIVEKIT_RECORDING_ENABLED/)
    expect(await db(env.DB).select().from(recordings)).toEqual([])
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(0)
  })
})

describe('live-session recording through the shared service', () => {
  it('should start recording when a session with is_recorded goes live', async () => {
    const id = await liveSession({ is_recorded: true })
    const res = await live(`/sessions/${id}/start`)
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ status: 'live', recording: true })
    const [start] = lk.callsOf('Egress/StartRoomCompositeEgress')
    expect(start.body.room_name ?? start.body.roomName).toBe(id)
  })

  it('should take the EGRESS_LIMIT cap atomically: full means 409 and no egress call', async () => {
    const limit = loadConfig(env).EGRESS_LIMIT
    await db(env.DB)
      .insert(recordings)
      .values(
        Array.from({ length: limit }, (_, i) => ({
          id: `busy-${i}`,
          room: `busy-room-${i}`,
          kind: 'room_composite' as const,
          status: 'active' as const,
          egressId: `EG_busy_${i}`,
        })),
      )
    const id = await liveSession()
    await live(`/sessions/${id}/start`)
    const res = await live(`/sessions/${id}/recording/start`)
    expect(res.status).toBe(409)
    expect((await json(res)).error.message).toMatch(/EGRESS_LIMIT/)
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(0)
    // A session that should record still goes live without a free slot.
    const recorded = await liveSession({ is_recorded: true })
    const started = await live(`/sessions/${recorded}/start`)
    expect(started.status).toBe(200)
    expect((await json(started)).data).toMatchObject({ status: 'live', recording: false })
  })

  it('should record a session once when starts race', async () => {
    const id = await liveSession()
    await live(`/sessions/${id}/start`)
    const results = await Promise.all(
      Array.from({ length: 4 }, () => live(`/sessions/${id}/recording/start`)),
    )
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409])
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(1)
  })

  it('should answer 503 naming the node when the session’s node is no longer configured, as rooms do', async () => {
    const id = await liveSession()
    await live(`/sessions/${id}/start`)
    await db(env.DB).update(liveSessions).set({ node: 'retired' }).where(eq(liveSessions.id, id))
    const res = await live(`/sessions/${id}/recording/start`)
    expect(res.status).toBe(503)
    expect((await json(res)).error.message).toMatch(/retired/)
  })

  it('should tell the session’s sockets each state of the recording', async () => {
    const id = await liveSession()
    await live(`/sessions/${id}/start`)
    const res = await call(`/api/v1/live/sessions/${id}/ws?token=${mentor.access_token}`, {
      headers: { Upgrade: 'websocket' },
    })
    expect(res.status).toBe(101)
    res.webSocket!.accept()
    const socket = new ChatClient(res.webSocket!)
    const rec = (await json(await live(`/sessions/${id}/recording/start`))).data
    const started = await socket.next((f) => f.type === 'recording')
    expect(started.data).toEqual({ ...rec, status: 'starting' })
    await live(`/sessions/${id}/recording/stop`)
    expect((await socket.next((f) => f.type === 'recording')).data.status).toBe('ending')
    await egressEnds(rec.egress_id, 'EGRESS_COMPLETE')
    expect((await socket.next((f) => f.type === 'recording')).data).toMatchObject({
      recording_id: rec.recording_id,
      status: 'complete',
    })
    socket.ws.close()
  })
})
