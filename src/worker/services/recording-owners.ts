import { and, eq } from 'drizzle-orm'
import type { Config, LiveKitNodeConfig } from '../config'
import type { Db } from '../db/client'
import { conferenceRooms, liveSessions } from '../db/schema'
import type { Env } from '../env'
import { roomNode } from './livekit-nodes'
import { emitToRoom, publishToLiveSession } from './realtime'
import { liveRecordingView, recordingView, type RecordingOwner, type RecordingRow } from './recording-view'

/*
 * What differs between the two owners of recordings — conference rooms (seed 000) and live
 * sessions (seed 002) — so that recordings.ts is the one path for both: which LiveKit node the
 * room is on, whether it may still be recorded, where the owner shows its current recording,
 * and who is told about each change.
 */

/** The owner's row: its LiveKit node name and whether it is open for recording. */
async function ownerRow(d: Db, owner: RecordingOwner, name: string) {
  if (owner === 'room') {
    const r = await d
      .select({ node: conferenceRooms.node, status: conferenceRooms.status })
      .from(conferenceRooms)
      .where(eq(conferenceRooms.name, name))
      .get()
    return r && { node: r.node, open: r.status !== 'closed' }
  }
  const s = await d
    .select({ node: liveSessions.node, status: liveSessions.status })
    .from(liveSessions)
    .where(eq(liveSessions.id, name))
    .get()
  return s && { node: s.node ?? 'default', open: s.status === 'live' }
}

/**
 * The LiveKit node the owner's room is on. A node no longer configured is a 503 naming it (for
 * rooms and live sessions alike); an owner deleted meanwhile falls back to the default node.
 */
export async function ownerNode(
  d: Db,
  config: Config,
  rec: Pick<RecordingRow, 'owner' | 'room'>,
): Promise<LiveKitNodeConfig> {
  return roomNode(config, (await ownerRow(d, rec.owner, rec.room))?.node ?? 'default')
}

/** Whether the owner may still be recorded: a room that is not closed, a session that is live. */
export async function ownerOpen(d: Db, rec: Pick<RecordingRow, 'owner' | 'room'>): Promise<boolean> {
  return (await ownerRow(d, rec.owner, rec.room))?.open ?? false
}

/**
 * The owner shows `rec` as its current recording (`on`), or stops showing it — only if it still
 * shows that one: a room's `record_status`/`record_id`, a live session's `recording_id`.
 */
export async function showRecording(d: Db, rec: RecordingRow, on: boolean) {
  const at = Date.now()
  if (rec.owner === 'room')
    await d
      .update(conferenceRooms)
      .set(
        on
          ? { recordStatus: 1, recordId: rec.id, updatedAt: at }
          : { recordStatus: 0, recordId: null, updatedAt: at },
      )
      .where(
        on
          ? eq(conferenceRooms.name, rec.room)
          : and(eq(conferenceRooms.name, rec.room), eq(conferenceRooms.recordId, rec.id)),
      )
  else
    await d
      .update(liveSessions)
      .set({ recordingId: on ? rec.id : null, updatedAt: at })
      .where(
        on
          ? eq(liveSessions.id, rec.room)
          : and(eq(liveSessions.id, rec.room), eq(liveSessions.recordingId, rec.id)),
      )
}

/**
 * Tells the owner's sockets the recording's new state: a room's Socket.IO namespace gets
 * `room-record` `{room, status, recording}`, a live session's socket `recording` (seed 002 shape).
 */
export async function announceRecording(env: Env, config: Config, rec: RecordingRow) {
  if (rec.owner === 'room')
    await emitToRoom(env, rec.room, 'room-record', {
      room: rec.room,
      status: rec.status,
      recording: recordingView(rec, config),
    })
  else await publishToLiveSession(env, rec.room, 'recording', liveRecordingView(rec))
}
