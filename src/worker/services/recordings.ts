import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import { EgressStatus, type EgressInfo } from 'livekit-server-sdk'
import { liveKitNodes, loadConfig, type Config } from '../config'
import { db, type Db } from '../db/client'
import { conferenceRooms, recordings } from '../db/schema'
import type { Env } from '../env'
import { conflict, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { LiveKitEgress, recordingStorage } from '../lib/livekit'
import { iso } from '../lib/time'
import { roomNode } from './livekit-nodes'
import { emitToRoom } from './realtime'
import { emitEvent } from './events'
import { getOpenRoom, getRoom, serviceOfRoom } from './rooms'

export type RecordingRow = typeof recordings.$inferSelect
export type RecordingKind = RecordingRow['kind']
export type RecordingStatus = RecordingRow['status']

/** Statuses that hold one of the EGRESS_LIMIT slots. */
export const SLOT_STATUSES = ['starting', 'active', 'ending'] as const
/** Statuses of a recording that is still going to produce a file. */
const LIVE_STATUSES = ['queued', 'starting', 'active', 'ending'] as const

/** What to record, beyond the room. */
export type RecordingOptions = {
  audioOnly?: boolean
  layout?: string
  audioTrackId?: string
  videoTrackId?: string
}

/** The R2 key a recording's file goes to: `recordings/<room>/<id>.mp4` (`.ogg` audio only). */
export const recordingKey = (room: string, id: string, audioOnly = false) =>
  `recordings/${room}/${id}.${audioOnly ? 'ogg' : 'mp4'}`

/** A recording as both API families show it; `url` is the static `/record/…` path of its file. */
export function recordingView(r: RecordingRow, config: Config) {
  return {
    id: r.id,
    room: r.room,
    egress_id: r.egressId,
    kind: r.kind,
    status: r.status,
    options: r.options ? (JSON.parse(r.options) as RecordingOptions) : {},
    r2_key: r.r2Key,
    url:
      r.r2Key && r.status === 'complete'
        ? `${config.API_URL}/record/${r.r2Key.replace(/^recordings\//, '')}`
        : null,
    size: r.size,
    duration_ms: r.durationMs,
    error: r.error,
    requested_by: r.requestedBy,
    started_at: iso(r.startedAt),
    ended_at: iso(r.endedAt),
    created_at: iso(r.createdAt),
  }
}
export type RecordingView = ReturnType<typeof recordingView>

const fromRaw = (raw: Record<string, unknown>): RecordingRow => ({
  id: raw.id as string,
  room: raw.room as string,
  egressId: (raw.egress_id as string | null) ?? null,
  kind: raw.kind as RecordingKind,
  status: raw.status as RecordingStatus,
  options: (raw.options as string | null) ?? null,
  r2Key: (raw.r2_key as string | null) ?? null,
  size: (raw.size as number | null) ?? null,
  durationMs: (raw.duration_ms as number | null) ?? null,
  error: (raw.error as string | null) ?? null,
  requestedBy: (raw.requested_by as string | null) ?? null,
  startedAt: (raw.started_at as number | null) ?? null,
  endedAt: (raw.ended_at as number | null) ?? null,
  createdAt: raw.created_at as number,
})

const slotList = sql.raw(SLOT_STATUSES.map((s) => `'${s}'`).join(','))
const liveList = sql.raw(LIVE_STATUSES.map((s) => `'${s}'`).join(','))

/**
 * Asks for a recording of an open room (seed 000 `startRecord`). One recording per room at a time
 * (409). The EGRESS_LIMIT cap is claimed in the same statement that records the request: with a
 * slot free it is `starting` and egress is started now; otherwise it is `queued` and starts when
 * a slot frees (egress_ended webhook, or the sweep). `started_at` is set when the slot is claimed
 * and again when egress starts. Both checks are one INSERT…SELECT, so racing
 * requests can neither exceed the cap nor record a room twice.
 */
export async function requestRecording(
  env: Env,
  d: Db,
  config: Config,
  input: { room: string; kind: RecordingKind; options?: RecordingOptions; requestedBy?: string },
): Promise<RecordingView> {
  const room = await getOpenRoom(d, input.room)
  const id = newId()
  const options = input.options ?? {}
  const key = recordingKey(room.name, id, options.audioOnly && input.kind === 'room_composite')
  const raw = await d.get<Record<string, unknown> | undefined>(sql`
    INSERT INTO recordings (id, room, kind, status, options, r2_key, requested_by, started_at)
    SELECT ${id}, ${room.name}, ${input.kind}, s.status,
      ${JSON.stringify(options)}, ${key}, ${input.requestedBy ?? null},
      CASE s.status WHEN 'starting' THEN ${Date.now()} END
    FROM (SELECT CASE WHEN (SELECT count(*) FROM recordings WHERE status IN (${slotList})) < ${config.EGRESS_LIMIT}
        THEN 'starting' ELSE 'queued' END AS status) AS s
    WHERE NOT EXISTS (SELECT 1 FROM recordings WHERE room = ${room.name} AND status IN (${liveList}))
    RETURNING *`)
  if (!raw) throw conflict(`Room ${room.name} is already being recorded`)
  const rec = fromRaw(raw)
  if (rec.status === 'queued') {
    await emitToRoom(env, room.name, 'room-record', {
      room: room.name,
      status: 'queued',
      recording: recordingView(rec, config),
    })
    return recordingView(rec, config)
  }
  return recordingView(await startEgress(env, d, config, rec), config)
}

/**
 * Starts egress for a recording that holds a slot (`starting`). On failure the recording is
 * `failed` with the reason (its slot frees) and the LiveKit error is thrown (502/503).
 */
async function startEgress(env: Env, d: Db, config: Config, rec: RecordingRow): Promise<RecordingRow> {
  const room = await getRoom(d, rec.room)
  const options = rec.options ? (JSON.parse(rec.options) as RecordingOptions) : {}
  let egressId: string
  try {
    const egress = new LiveKitEgress(roomNode(config, room.node), recordingStorage(config))
    const info =
      rec.kind === 'room_composite'
        ? await egress.startRoomComposite(room.name, rec.r2Key!, {
            audioOnly: options.audioOnly,
            layout: options.layout,
          })
        : await egress.startTrackComposite(room.name, rec.r2Key!, {
            audioTrackId: options.audioTrackId,
            videoTrackId: options.videoTrackId,
          })
    egressId = String(info.egressId)
  } catch (err) {
    await d
      .update(recordings)
      .set({ status: 'failed', error: (err as Error).message, endedAt: Date.now() })
      .where(eq(recordings.id, rec.id))
    await emitToRoom(env, rec.room, 'room-record', {
      room: rec.room,
      status: 'failed',
      error: (err as Error).message,
    })
    throw err
  }
  const at = Date.now()
  const row = await d
    .update(recordings)
    .set({ egressId, startedAt: at })
    .where(eq(recordings.id, rec.id))
    .returning()
    .get()
  await d
    .update(conferenceRooms)
    .set({ recordStatus: 1, recordId: rec.id, updatedAt: at })
    .where(eq(conferenceRooms.name, rec.room))
  await emitToRoom(env, rec.room, 'room-record', {
    room: rec.room,
    status: 'starting',
    recording: recordingView(row!, config),
  })
  return row!
}

/**
 * Starts queued recordings while slots are free (EGRESS_LIMIT), oldest first. Each claim is one
 * conditional UPDATE, so concurrent pumps (two webhooks, webhook and sweep) never exceed the cap.
 * A queued recording whose room closed meanwhile is aborted instead.
 */
export async function pumpQueue(env: Env, d: Db, config: Config) {
  const started: string[] = []
  for (let i = 0; i < 100; i++) {
    const raw = await d.get<Record<string, unknown> | undefined>(sql`
      UPDATE recordings SET status = 'starting', started_at = ${Date.now()}
      WHERE id = (SELECT id FROM recordings WHERE status = 'queued' ORDER BY created_at, id LIMIT 1)
        AND status = 'queued'
        AND (SELECT count(*) FROM recordings WHERE status IN (${slotList})) < ${config.EGRESS_LIMIT}
      RETURNING *`)
    if (!raw) break
    const rec = fromRaw(raw)
    const room = await d.select().from(conferenceRooms).where(eq(conferenceRooms.name, rec.room)).get()
    if (!room || room.status === 'closed') {
      await d
        .update(recordings)
        .set({ status: 'aborted', error: 'room closed before a recording slot freed', endedAt: Date.now() })
        .where(eq(recordings.id, rec.id))
      continue
    }
    try {
      await startEgress(env, d, config, rec)
      started.push(rec.id)
    } catch {
      // Marked failed by startEgress; its slot is free again for the next one.
    }
  }
  return { started }
}

/** The recording of `room` still running or queued, if any. */
export async function currentRecording(d: Db, room: string) {
  return d
    .select()
    .from(recordings)
    .where(and(eq(recordings.room, room), inArray(recordings.status, [...LIVE_STATUSES])))
    .orderBy(desc(recordings.createdAt))
    .get()
}

/**
 * Stops one recording (seed 000 `stopRecord`): by id, or the room's current one. A queued one is
 * aborted without LiveKit; a running one gets StopEgress and is `ending` until egress_ended.
 */
export async function stopRecording(
  env: Env,
  d: Db,
  config: Config,
  target: { room?: string; recordId?: string },
): Promise<RecordingView> {
  const rec = target.recordId
    ? await d.select().from(recordings).where(eq(recordings.id, target.recordId)).get()
    : await currentRecording(d, target.room!)
  if (!rec)
    throw notFound(target.recordId ? `Recording ${target.recordId}` : `A recording of room ${target.room}`)
  if (rec.status === 'queued') {
    const row = await d
      .update(recordings)
      .set({ status: 'aborted', error: 'stopped while queued', endedAt: Date.now() })
      .where(and(eq(recordings.id, rec.id), eq(recordings.status, 'queued')))
      .returning()
      .get()
    if (!row) return stopRecording(env, d, config, { recordId: rec.id })
    await emitToRoom(env, rec.room, 'room-record', {
      room: rec.room,
      status: 'aborted',
      recording: recordingView(row, config),
    })
    return recordingView(row, config)
  }
  if (!['starting', 'active'].includes(rec.status) || !rec.egressId)
    throw conflict(`Recording ${rec.id} is ${rec.status}; it cannot be stopped`)
  const node = await recordingNode(d, config, rec)
  await new LiveKitEgress(node, recordingStorage(config)).stop(rec.egressId)
  const row = await d
    .update(recordings)
    .set({ status: 'ending' })
    .where(and(eq(recordings.id, rec.id), inArray(recordings.status, ['starting', 'active'])))
    .returning()
    .get()
  const view = recordingView(row ?? rec, config)
  await emitToRoom(env, rec.room, 'room-record', { room: rec.room, status: 'ending', recording: view })
  return view
}

async function recordingNode(d: Db, config: Config, rec: RecordingRow) {
  const room = await d.select().from(conferenceRooms).where(eq(conferenceRooms.name, rec.room)).get()
  return roomNode(config, room?.node ?? 'default')
}

/**
 * Seed 000 `stopAllActiveRecord`: stops every running recording (of one room, or all) and aborts
 * every queued one. A recording LiveKit fails to stop is reported, the others still stop.
 */
export async function stopAll(env: Env, d: Db, config: Config, room?: string) {
  const rows = await d
    .select()
    .from(recordings)
    .where(
      and(
        inArray(recordings.status, ['queued', 'starting', 'active']),
        room ? eq(recordings.room, room) : undefined,
      ),
    )
    .orderBy(recordings.createdAt)
  // Queued first, so stopping a running one cannot hand its slot to a recording being aborted.
  rows.sort((a, b) => Number(b.status === 'queued') - Number(a.status === 'queued'))
  const stopped: RecordingView[] = []
  const failed: { id: string; error: string }[] = []
  for (const r of rows) {
    try {
      stopped.push(await stopRecording(env, d, config, { recordId: r.id }))
    } catch (err) {
      failed.push({ id: r.id, error: (err as Error).message })
    }
  }
  return { stopped, failed }
}

/** Seed 000 `GetMP4Queue` (a `/test` route): recordings waiting for a slot, oldest first. */
export async function queuedRecordings(d: Db, config: Config) {
  const rows = await d
    .select()
    .from(recordings)
    .where(eq(recordings.status, 'queued'))
    .orderBy(recordings.createdAt, recordings.id)
  return rows.map((r) => recordingView(r, config))
}

/**
 * Seed 000 `RemoveFromQueue` / `ClearMP4Queue`: aborts one queued recording (404 unknown, 409 when
 * it is no longer queued), or every queued one.
 */
export async function abortQueued(env: Env, d: Db, config: Config, recordId?: string) {
  if (recordId) {
    const rec = await d.select().from(recordings).where(eq(recordings.id, recordId)).get()
    if (!rec) throw notFound(`Recording ${recordId}`)
    if (rec.status !== 'queued') throw conflict(`Recording ${recordId} is ${rec.status}, not queued`)
  }
  const ids = recordId ? [recordId] : (await queuedRecordings(d, config)).map((r) => r.id)
  const aborted: RecordingView[] = []
  for (const id of ids) aborted.push(await stopRecording(env, d, config, { recordId: id }))
  return aborted
}

/** Seed 000 `ListEgress`: what LiveKit's egress service reports, for a room's node or every node. */
export async function listEgress(d: Db, config: Config, options: { room?: string; active?: boolean }) {
  const nodes = options.room
    ? [roomNode(config, (await getRoom(d, options.room)).node)]
    : liveKitNodes(config)
  const lists = await Promise.all(
    nodes.map(async (n) => {
      const items = await new LiveKitEgress(n, recordingStorage(config)).list({
        roomName: options.room,
        active: options.active,
      })
      return items.map((item) => ({ node: n.name, ...item }))
    }),
  )
  return { items: lists.flat() }
}

/** Seed 000 `getFileHistory`: finished recordings (their R2 files), newest first. */
export async function fileHistory(d: Db, config: Config, filter: { room?: string; limit?: number }) {
  const rows = await d
    .select()
    .from(recordings)
    .where(and(eq(recordings.status, 'complete'), filter.room ? eq(recordings.room, filter.room) : undefined))
    .orderBy(desc(recordings.endedAt))
    .limit(filter.limit ?? 100)
  return rows.map((r) => recordingView(r, config))
}

/** Seed 000 `checkEgressAvailable` + `getRoomRecordStatus`: the room's recording and the cap. */
export async function checkRecording(d: Db, config: Config, room?: string) {
  const [counts, current] = await Promise.all([
    d
      .select({ status: recordings.status, n: sql<number>`count(*)` })
      .from(recordings)
      .where(inArray(recordings.status, [...LIVE_STATUSES]))
      .groupBy(recordings.status),
    room ? getRoom(d, room).then(() => currentRecording(d, room)) : Promise.resolve(undefined),
  ])
  const n = (s: string) => Number(counts.find((c) => c.status === s)?.n ?? 0)
  const active = n('starting') + n('active') + n('ending')
  return {
    room: room ?? null,
    recording: current ? current.status !== 'queued' : false,
    current: current ? recordingView(current, config) : null,
    egress_limit: config.EGRESS_LIMIT,
    active,
    queued: n('queued'),
    available: active < config.EGRESS_LIMIT,
  }
}

/** Maps LiveKit's egress status to ours. */
export function statusOfEgress(status: EgressStatus): RecordingStatus {
  switch (status) {
    case EgressStatus.EGRESS_STARTING:
      return 'starting'
    case EgressStatus.EGRESS_ACTIVE:
      return 'active'
    case EgressStatus.EGRESS_ENDING:
      return 'ending'
    case EgressStatus.EGRESS_COMPLETE:
      return 'complete'
    case EgressStatus.EGRESS_ABORTED:
      return 'aborted'
    default:
      return 'failed'
  }
}

/** LiveKit says an egress runs: `starting` → `active`. False when nothing changed (a repeat). */
export async function egressStarted(env: Env, d: Db, config: Config, info: EgressInfo) {
  if (!info.egressId) return false
  const row = await d
    .update(recordings)
    .set({ status: 'active', startedAt: Date.now() })
    .where(and(eq(recordings.egressId, info.egressId), eq(recordings.status, 'starting')))
    .returning()
    .get()
  if (!row) return false
  await d
    .update(conferenceRooms)
    .set({ recordStatus: 1, recordId: row.id, updatedAt: Date.now() })
    .where(eq(conferenceRooms.name, row.room))
  await emitToRoom(env, row.room, 'room-record', {
    room: row.room,
    status: 'active',
    recording: recordingView(row, config),
  })
  return true
}

/**
 * LiveKit says an egress ended: the recording is `complete` (with its file's size, duration and
 * key), `aborted` or `failed`; its slot frees and the queue moves. False when already ended.
 */
export async function egressEnded(env: Env, d: Db, config: Config, info: EgressInfo) {
  if (!info.egressId) return false
  const file = info.fileResults?.[0]
  const status = statusOfEgress(info.status)
  const row = await d
    .update(recordings)
    .set({
      status: status === 'complete' || status === 'aborted' ? status : 'failed',
      size: file ? Number(file.size) : null,
      durationMs: file ? Math.round(Number(file.duration) / 1e6) : null,
      ...(file?.filename ? { r2Key: file.filename } : {}),
      error: info.error || null,
      endedAt: Date.now(),
    })
    .where(and(eq(recordings.egressId, info.egressId), inArray(recordings.status, [...SLOT_STATUSES])))
    .returning()
    .get()
  if (!row) return false
  await recordingEnded(env, d, config, row)
  await pumpQueue(env, d, config)
  return true
}

/**
 * A recording that held a slot has ended: its room stops showing it, its sockets are told, and
 * webhook endpoints get `recording.finished`.
 */
async function recordingEnded(env: Env, d: Db, config: Config, row: RecordingRow) {
  await d
    .update(conferenceRooms)
    .set({ recordStatus: 0, recordId: null, updatedAt: Date.now() })
    .where(and(eq(conferenceRooms.name, row.room), eq(conferenceRooms.recordId, row.id)))
  await emitToRoom(env, row.room, 'room-record', {
    room: row.room,
    status: row.status,
    recording: recordingView(row, config),
  })
  await recordingFinished(env, d, config, row)
}

/** `recording.finished` (complete, failed or aborted) for the room's service. */
async function recordingFinished(env: Env, d: Db, config: Config, row: RecordingRow) {
  await emitEvent(env, {
    type: 'recording.finished',
    service: await serviceOfRoom(d, row.room),
    data: recordingView(row, config),
  })
}

/** A slot claimed this long ago without an egress id was lost (StartEgress times out in 10 s). */
export const CLAIM_TIMEOUT_MS = 2 * 60_000
/** Recordings quieter than this are checked against LiveKit (a webhook may have been lost). */
export const RECONCILE_AFTER_MS = 60_000

/**
 * Frees slots whose webhooks never came (the 10-minute sweep). A slot claimed but never started
 * (the Worker died between the claim and StartEgress) fails after CLAIM_TIMEOUT_MS. A started one
 * is looked up with ListEgress on its room's node and gets what LiveKit says: started, ended, or
 * `failed` when LiveKit no longer knows it. An unreachable node changes nothing.
 */
export async function reconcileRecordings(env: Env, d: Db, config: Config, now = Date.now()) {
  const lost = await d
    .update(recordings)
    .set({ status: 'failed', error: 'egress was never started (slot claim expired)', endedAt: now })
    .where(
      and(
        eq(recordings.status, 'starting'),
        sql`${recordings.egressId} IS NULL`,
        sql`coalesce(${recordings.startedAt}, ${recordings.createdAt}) < ${now - CLAIM_TIMEOUT_MS}`,
      ),
    )
    .returning()
  const checked = await d
    .select()
    .from(recordings)
    .where(
      and(
        inArray(recordings.status, [...SLOT_STATUSES]),
        sql`${recordings.egressId} IS NOT NULL`,
        sql`coalesce(${recordings.startedAt}, ${recordings.createdAt}) < ${now - RECONCILE_AFTER_MS}`,
      ),
    )
  let changed = lost.length
  for (const rec of checked) {
    let info: EgressInfo | undefined
    try {
      info = await new LiveKitEgress(await recordingNode(d, config, rec), recordingStorage(config)).find(
        rec.egressId!,
      )
    } catch {
      continue
    }
    if (!info) {
      const row = await d
        .update(recordings)
        .set({ status: 'failed', error: `LiveKit no longer knows egress ${rec.egressId}`, endedAt: now })
        .where(and(eq(recordings.id, rec.id), inArray(recordings.status, [...SLOT_STATUSES])))
        .returning()
        .get()
      if (row) {
        await recordingEnded(env, d, config, row)
        changed++
      }
      continue
    }
    const status = statusOfEgress(info.status)
    if (status === 'active') {
      if (await egressStarted(env, d, config, info)) changed++
    } else if (status !== 'starting' && status !== 'ending') {
      if (await egressEnded(env, d, config, info)) changed++
    }
  }
  for (const rec of lost) {
    await emitToRoom(env, rec.room, 'room-record', {
      room: rec.room,
      status: 'failed',
      recording: recordingView(rec, config),
    })
    await recordingFinished(env, d, config, rec)
  }
  return { checked: checked.length, changed }
}

/**
 * Cron job: reconciles recordings with LiveKit, then starts queued recordings whose slots freed
 * without a webhook reaching us.
 */
export async function recordingQueueJob(env: Env) {
  const d = db(env.DB)
  const config = loadConfig(env)
  const reconciled = await reconcileRecordings(env, d, config)
  return { reconciled, ...(await pumpQueue(env, d, config)) }
}
