import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import { EgressStatus, type EgressInfo } from 'livekit-server-sdk'
import { liveKitNodes, loadConfig, type Config } from '../config'
import { db, type Db } from '../db/client'
import { recordings } from '../db/schema'
import type { Env } from '../env'
import { conflict, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { LiveKitEgress, recordingStorage } from '../lib/livekit'
import { roomNode } from './livekit-nodes'
import { announceRecording, ownerNode, ownerOpen, showRecording } from './recording-owners'
import {
  fromRaw,
  recordingKey,
  recordingView,
  type RecordingKind,
  type RecordingOptions,
  type RecordingOwner,
  type RecordingRow,
  type RecordingStatus,
  type RecordingView,
} from './recording-view'
import { emitEvent } from './events'
import { getOpenRoom, getRoom, serviceOfRoom } from './rooms'

/** Statuses that hold one of the EGRESS_LIMIT slots. */
export const SLOT_STATUSES = ['starting', 'active', 'ending'] as const
/** Statuses of a recording that is still going to produce a file. */
const LIVE_STATUSES = ['queued', 'starting', 'active', 'ending'] as const

const slotList = sql.raw(SLOT_STATUSES.map((s) => `'${s}'`).join(','))
const liveList = sql.raw(LIVE_STATUSES.map((s) => `'${s}'`).join(','))

/** What to record and for whom. */
export interface RecordingRequest {
  /** Default `room`. */
  owner?: RecordingOwner
  /** The LiveKit room: a conference room's name, a live session's id. */
  room: string
  kind: RecordingKind
  options?: RecordingOptions
  requestedBy?: string
  /**
   * With every EGRESS_LIMIT slot taken: `true` (default; rooms, seed 000) queues the recording
   * until a slot frees; `false` (live sessions: a live stream's recording is not worth starting
   * late) is a 409.
   */
  queue?: boolean
}

/** LIVEKIT_RECORDING_ENABLED=false refuses every recording start (409 naming the setting). */
export function assertRecordingEnabled(config: Config) {
  if (!config.LIVEKIT_RECORDING_ENABLED)
    throw conflict('Recording is disabled on this deployment (LIVEKIT_RECORDING_ENABLED=false)')
}

/**
 * Asks for a recording of an open conference room (seed 000 `startRecord`): 404 unknown, 409
 * closed; then `claimRecording`, queueing when the slots are full.
 */
export async function requestRecording(
  env: Env,
  d: Db,
  config: Config,
  input: Omit<RecordingRequest, 'owner' | 'queue'>,
): Promise<RecordingView> {
  assertRecordingEnabled(config)
  const room = await getOpenRoom(d, input.room)
  const rec = await claimRecording(env, d, config, { ...input, room: room.name, owner: 'room', queue: true })
  return recordingView(rec, config)
}

/**
 * The one way a recording starts, for rooms and live sessions alike (the caller has checked that
 * the owner is open and who may ask). One recording per owner at a time (409). The EGRESS_LIMIT
 * cap is claimed in the same statement that records the request: with a slot free the recording
 * is `starting` and egress is started now; otherwise it is `queued` (it starts when a slot frees:
 * egress_ended webhook or the sweep) or, with `queue: false`, refused with 409. Both checks are
 * one INSERT…SELECT, so racing requests can neither exceed the cap nor record an owner twice.
 */
export async function claimRecording(
  env: Env,
  d: Db,
  config: Config,
  input: RecordingRequest,
): Promise<RecordingRow> {
  assertRecordingEnabled(config)
  const owner = input.owner ?? 'room'
  const id = newId()
  const options = input.options ?? {}
  const key = recordingKey(owner, input.room, id, options.audioOnly && input.kind === 'room_composite')
  const queue = input.queue ?? true
  const raw = await d.get<Record<string, unknown> | undefined>(sql`
    INSERT INTO recordings (id, owner, room, kind, status, options, r2_key, requested_by, started_at)
    SELECT ${id}, ${owner}, ${input.room}, ${input.kind}, s.status,
      ${JSON.stringify(options)}, ${key}, ${input.requestedBy ?? null},
      CASE s.status WHEN 'starting' THEN ${Date.now()} END
    FROM (SELECT CASE WHEN (SELECT count(*) FROM recordings WHERE status IN (${slotList})) < ${config.EGRESS_LIMIT}
        THEN 'starting' ELSE 'queued' END AS status) AS s
    WHERE NOT EXISTS (
        SELECT 1 FROM recordings WHERE owner = ${owner} AND room = ${input.room} AND status IN (${liveList}))
      AND (${queue ? 1 : 0} = 1 OR s.status = 'starting')
    RETURNING *`)
  if (!raw) {
    if (await currentRecording(d, input.room, owner))
      throw conflict(`${owner === 'live' ? 'The session' : `Room ${input.room}`} is already being recorded`)
    throw conflict(`All ${config.EGRESS_LIMIT} recording slots (EGRESS_LIMIT) are in use; try again later`)
  }
  const rec = fromRaw(raw)
  if (rec.status === 'queued') {
    await announceRecording(env, config, rec)
    return rec
  }
  return startEgress(env, d, config, rec)
}

/**
 * Starts egress for a recording that holds a slot (`starting`). On failure the recording is
 * `failed` with the reason (its slot frees, its owner's sockets are told) and the LiveKit error
 * is thrown (502/503). On success its owner shows it as the current recording.
 */
async function startEgress(env: Env, d: Db, config: Config, rec: RecordingRow): Promise<RecordingRow> {
  const options = rec.options ? (JSON.parse(rec.options) as RecordingOptions) : {}
  let egressId: string
  try {
    const egress = new LiveKitEgress(await ownerNode(d, config, rec), recordingStorage(config))
    const info =
      rec.kind === 'room_composite'
        ? await egress.startRoomComposite(rec.room, rec.r2Key!, {
            audioOnly: options.audioOnly,
            layout: options.layout,
          })
        : await egress.startTrackComposite(rec.room, rec.r2Key!, {
            audioTrackId: options.audioTrackId,
            videoTrackId: options.videoTrackId,
          })
    egressId = String(info.egressId)
  } catch (err) {
    const failed = await d
      .update(recordings)
      .set({ status: 'failed', error: (err as Error).message, endedAt: Date.now() })
      .where(eq(recordings.id, rec.id))
      .returning()
      .get()
    await announceRecording(env, config, failed ?? rec)
    throw err
  }
  const row = (await d
    .update(recordings)
    .set({ egressId, startedAt: Date.now() })
    .where(eq(recordings.id, rec.id))
    .returning()
    .get())!
  await showRecording(d, row, true)
  await announceRecording(env, config, row)
  return row
}

/**
 * Starts queued recordings while slots are free (EGRESS_LIMIT), oldest first. Each claim is one
 * conditional UPDATE, so concurrent pumps (two webhooks, webhook and sweep) never exceed the cap.
 * A queued recording whose owner closed meanwhile is aborted instead.
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
    if (!(await ownerOpen(d, rec))) {
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

/** The recording of `room` (of `owner`, default a conference room) still running or queued, if any. */
export async function currentRecording(d: Db, room: string, owner: RecordingOwner = 'room') {
  return d
    .select()
    .from(recordings)
    .where(
      and(
        eq(recordings.owner, owner),
        eq(recordings.room, room),
        inArray(recordings.status, [...LIVE_STATUSES]),
      ),
    )
    .orderBy(desc(recordings.createdAt))
    .get()
}

/**
 * Stops one recording (seed 000 `stopRecord`): by id, or a conference room's current one
 * (404 when there is none); see `stopRow`.
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
  return recordingView(await stopRow(env, d, config, rec), config)
}

/**
 * Stops a recording of either owner: a queued one is aborted without LiveKit; a running one gets
 * StopEgress and is `ending` until egress_ended (its owner shows it until then); anything else
 * is a 409. Answers the row as it is now; the owner's sockets are told.
 */
export async function stopRow(env: Env, d: Db, config: Config, rec: RecordingRow): Promise<RecordingRow> {
  if (rec.status === 'queued') {
    const row = await d
      .update(recordings)
      .set({ status: 'aborted', error: 'stopped while queued', endedAt: Date.now() })
      .where(and(eq(recordings.id, rec.id), eq(recordings.status, 'queued')))
      .returning()
      .get()
    if (!row) {
      // Its slot came meanwhile: stop it as the running recording it now is.
      const now = await d.select().from(recordings).where(eq(recordings.id, rec.id)).get()
      return stopRow(env, d, config, now!)
    }
    await announceRecording(env, config, row)
    return row
  }
  if (!['starting', 'active'].includes(rec.status) || !rec.egressId)
    throw conflict(`Recording ${rec.id} is ${rec.status}; it cannot be stopped`)
  await new LiveKitEgress(await ownerNode(d, config, rec), recordingStorage(config)).stop(rec.egressId)
  const row =
    (await d
      .update(recordings)
      .set({ status: 'ending' })
      .where(and(eq(recordings.id, rec.id), inArray(recordings.status, ['starting', 'active'])))
      .returning()
      .get()) ?? rec
  await announceRecording(env, config, row)
  return row
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
        room ? and(eq(recordings.owner, 'room'), eq(recordings.room, room)) : undefined,
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
  await showRecording(d, row, true)
  await announceRecording(env, config, row)
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
 * A recording that held a slot has ended: its owner stops showing it (a room's record status, a
 * live session's `recording_id`), the owner's sockets are told, and webhook endpoints get
 * `recording.finished`.
 */
async function recordingEnded(env: Env, d: Db, config: Config, row: RecordingRow) {
  await showRecording(d, row, false)
  await announceRecording(env, config, row)
  await recordingFinished(env, d, config, row)
}

/** `recording.finished` (complete, failed or aborted) for the owner's service (a room's; none for a live session). */
async function recordingFinished(env: Env, d: Db, config: Config, row: RecordingRow) {
  await emitEvent(env, {
    type: 'recording.finished',
    service: row.owner === 'room' ? await serviceOfRoom(d, row.room) : null,
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
      info = await new LiveKitEgress(await ownerNode(d, config, rec), recordingStorage(config)).find(
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
    await announceRecording(env, config, rec)
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
