import { and, eq, inArray, notInArray, sql } from 'drizzle-orm'
import { TrackType, type WebhookEvent } from 'livekit-server-sdk'
import type { ReceivedWebhook } from '../lib/livekit'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { conferenceRooms, roomUsers } from '../db/schema'
import type { Env } from '../env'
import { iso } from '../lib/time'
import { logUsage } from './room-users'
import { emitToRoom } from './realtime'
import { currentRecording, egressEnded, egressStarted, requestRecording } from './recordings'
import { participantPresence } from './live-sessions'
import { findRoom, type RoomRow } from './rooms'
import { claimWebhook, ledgerEntry, releaseWebhook } from './webhook-ledger'
import { log } from '../lib/log'

/** The LiveKit events seed 000 §5.1 acts on. */
export const HANDLED_EVENTS = [
  'room_started',
  'room_finished',
  'participant_joined',
  'participant_left',
  'track_published',
  'track_subscribed',
  'egress_started',
  'egress_ended',
] as const

/** What handling one webhook did, for the response and the log. */
export interface WebhookOutcome {
  event: string
  room: string | null
  handled: boolean
  changed: boolean
  /** Why nothing was applied: a repeat of an event already received, or older than one already applied. */
  ignored?: 'duplicate' | 'stale'
}

/**
 * Applies one verified LiveKit webhook (seed 000 §5): room and participant state in D1, the room's
 * sockets told (`conference-status`, `user-connection`, `user-disconnect`, `room-record`),
 * auto-recording (§5.2), egress results with their R2 keys, and the recording queue advanced
 * when a slot frees. A live session's room (named by its id) gets its participants' comings and
 * goings (live-sessions.ts participantPresence). Each event is recorded in the webhook ledger first:
 * a repeat of its `id` (a retry or a replay within the signature's lifetime) is ignored
 * (`ignored: 'duplicate'`), and so is an event older (`createdAt`) than one already received for the
 * same room, participant or egress (`ignored: 'stale'`). A handler that fails un-records the event, so
 * LiveKit's retry applies it. The updates are conditional as well, so state only moves forward.
 */
export async function handleWebhook(
  env: Env,
  d: Db,
  config: Config,
  received: ReceivedWebhook,
): Promise<WebhookOutcome> {
  const { event } = received
  const roomName = event.room?.name || event.egressInfo?.roomName || null
  const handled = (HANDLED_EVENTS as readonly string[]).includes(event.event)
  const out: WebhookOutcome = { event: event.event, room: roomName, handled, changed: false }
  const at = event.createdAt ? Number(event.createdAt) * 1000 : Date.now()
  const entry = ledgerEntry(received, roomName, at)
  const verdict = await claimWebhook(d, entry)
  if (verdict !== 'apply') return { ...out, ignored: verdict }
  try {
    return await applyWebhook(env, d, config, event, roomName, at, out)
  } catch (err) {
    await releaseWebhook(d, entry.id)
    throw err
  }
}

async function applyWebhook(
  env: Env,
  d: Db,
  config: Config,
  event: WebhookEvent,
  roomName: string | null,
  at: number,
  out: WebhookOutcome,
): Promise<WebhookOutcome> {
  const room = roomName ? await findRoom(d, roomName) : undefined
  // `track_subscribed` (seed 000 §5.1) is not in the SDK's event name type; older servers send it.
  switch (event.event as string) {
    case 'room_started':
      if (room) out.changed = await roomStatus(env, d, room, 'started', at)
      break
    case 'room_finished':
      if (room) out.changed = await roomStatus(env, d, room, 'finished', at)
      break
    case 'participant_joined':
      if (room && event.participant) out.changed = await participantJoined(env, d, config, room, event, at)
      else if (roomName && event.participant)
        out.changed = await participantPresence(d, roomName, event.participant.identity, true, at)
      break
    case 'participant_left':
      if (room && event.participant) out.changed = await participantLeft(env, d, room, event, at)
      else if (roomName && event.participant)
        out.changed = await participantPresence(d, roomName, event.participant.identity, false, at)
      break
    case 'track_published':
    case 'track_subscribed':
      if (room && event.participant) {
        await logUsage(d, {
          room: room.name,
          identity: event.participant.identity,
          action: event.event,
          detail: {
            event_id: event.id,
            track: event.track?.sid,
            type: TrackType[event.track?.type ?? 0],
            source: event.track?.source,
          },
        })
        out.changed = true
        if (event.event === 'track_published') await autoRecordTracks(env, d, config, room, event)
      }
      break
    case 'egress_started':
      out.changed = !!event.egressInfo && (await egressStarted(env, d, config, event.egressInfo))
      break
    case 'egress_ended':
      out.changed = !!event.egressInfo && (await egressEnded(env, d, config, event.egressInfo))
      break
    default:
      out.handled = false
  }
  return out
}

async function roomStatus(env: Env, d: Db, room: RoomRow, status: 'started' | 'finished', at: number) {
  const from = status === 'started' ? (['open', 'finished'] as const) : (['open', 'started'] as const)
  const row = await d
    .update(conferenceRooms)
    .set(
      status === 'started'
        ? { status, startedAt: room.startedAt ?? at, updatedAt: Date.now() }
        : { status, finishedAt: at, updatedAt: Date.now() },
    )
    .where(and(eq(conferenceRooms.id, room.id), inArray(conferenceRooms.status, [...from])))
    .returning()
    .get()
  if (!row) return false
  if (status === 'finished')
    await d
      .update(roomUsers)
      .set({ status: 'left', leftAt: at, updatedAt: Date.now() })
      .where(and(eq(roomUsers.room, room.name), eq(roomUsers.status, 'joined')))
  await emitToRoom(env, room.name, 'conference-status', { room: room.name, status, at: iso(at) })
  return true
}

function userTypeOf(p: NonNullable<WebhookEvent['participant']>): string {
  if (p.attributes?.userType) return p.attributes.userType
  try {
    return (JSON.parse(p.metadata || '{}') as { userType?: string }).userType ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

async function participantJoined(
  env: Env,
  d: Db,
  config: Config,
  room: RoomRow,
  event: WebhookEvent,
  at: number,
) {
  const p = event.participant!
  const userType = userTypeOf(p)
  // Upsert: a participant may join with a token minted elsewhere; a repeat delivery changes nothing.
  const row = await d
    .insert(roomUsers)
    .values({
      room: room.name,
      identity: p.identity,
      name: p.name || p.identity,
      userType,
      status: 'joined',
      joinedAt: at,
    })
    .onConflictDoUpdate({
      target: [roomUsers.room, roomUsers.identity],
      set: { status: 'joined', joinedAt: at, leftAt: null, updatedAt: Date.now() },
      setWhere: sql`${roomUsers.status} <> 'joined'`,
    })
    .returning()
    .get()
  if (!row) return false
  await announce(env, d, room, event, 'participant_joined', 'user-connection', {
    name: row.name,
    user_type: row.userType,
    at: iso(at),
  })
  if (room.autoRecord && (room.recordType ?? 'RoomCompositeVideoAudio') !== 'TrackComposite')
    await autoRecord(env, d, config, room, {
      kind: 'room_composite',
      options: { audioOnly: room.recordType === 'RoomCompositeAudio' },
    })
  return true
}

async function participantLeft(env: Env, d: Db, room: RoomRow, event: WebhookEvent, at: number) {
  const p = event.participant!
  const row = await d
    .update(roomUsers)
    .set({ status: 'left', leftAt: at, updatedAt: Date.now() })
    .where(
      and(
        eq(roomUsers.room, room.name),
        eq(roomUsers.identity, p.identity),
        notInArray(roomUsers.status, ['left', 'removed']),
      ),
    )
    .returning()
    .get()
  if (!row) return false
  await announce(env, d, room, event, 'participant_left', 'user-disconnect', { reason: 'left', at: iso(at) })
  return true
}

/** A participant's change that took effect: the usage log row and the room's socket event. */
async function announce(
  env: Env,
  d: Db,
  room: RoomRow,
  event: WebhookEvent,
  action: 'participant_joined' | 'participant_left',
  socketEvent: 'user-connection' | 'user-disconnect',
  payload: Record<string, unknown>,
) {
  const identity = event.participant!.identity
  await logUsage(d, { room: room.name, identity, action, detail: { event_id: event.id } })
  await emitToRoom(env, room.name, socketEvent, { room: room.name, identity, ...payload })
}

/** Seed 000 §5.2, TrackComposite: once a participant has published both audio and video, record those two tracks. */
async function autoRecordTracks(env: Env, d: Db, config: Config, room: RoomRow, event: WebhookEvent) {
  if (!room.autoRecord || room.recordType !== 'TrackComposite') return
  const tracks = event.participant?.tracks ?? []
  const audio = tracks.find((t) => t.type === TrackType.AUDIO)
  const video = tracks.find((t) => t.type === TrackType.VIDEO)
  if (!audio || !video) return
  await autoRecord(env, d, config, room, {
    kind: 'track_composite',
    options: { audioTrackId: audio.sid, videoTrackId: video.sid },
  })
}

/** Starts (or queues) the room's automatic recording unless one is already running or queued. */
async function autoRecord(
  env: Env,
  d: Db,
  config: Config,
  room: RoomRow,
  request: Pick<Parameters<typeof requestRecording>[3], 'kind' | 'options'>,
) {
  if (!config.LIVEKIT_RECORDING_ENABLED || (await currentRecording(d, room.name))) return
  try {
    await requestRecording(env, d, config, { room: room.name, ...request, requestedBy: 'auto' })
  } catch (err) {
    // Already recording (a racing webhook won) or LiveKit failed: the recording row says which.
    log('warn', { msg: 'auto-record not started', room: room.name, error: String(err) })
  }
}
