import type { Config } from '../config'
import type { recordings } from '../db/schema'
import { iso } from '../lib/time'

export type RecordingRow = typeof recordings.$inferSelect
export type RecordingKind = RecordingRow['kind']
export type RecordingStatus = RecordingRow['status']
/** What a recording belongs to: a conference room (`room` = its name) or a live session (its id). */
export type RecordingOwner = RecordingRow['owner']

/** What to record, beyond the room (a type, not an interface: event payloads need an index signature). */
export type RecordingOptions = {
  audioOnly?: boolean
  layout?: string
  audioTrackId?: string
  videoTrackId?: string
}

/**
 * The R2 key a recording's file goes to: `recordings/<room>/<id>.mp4` for a conference room,
 * `recordings/live/<session>/<id>.mp4` for a live session (`.ogg` when audio only).
 */
export const recordingKey = (owner: RecordingOwner, name: string, id: string, audioOnly = false) =>
  `recordings/${owner === 'live' ? 'live/' : ''}${name}/${id}.${audioOnly ? 'ogg' : 'mp4'}`

/** A recording as the gateway and `room-record` show it; `url` is the static `/record/…` path of its file. */
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

/** A live session's recording as its REST answers and its socket's `recording` event show it (seed 002). */
export const liveRecordingView = (r: RecordingRow) => ({
  session_id: r.room,
  recording_id: r.id,
  egress_id: r.egressId,
  status: r.status,
  r2_key: r.r2Key,
})

/** A recording row from a raw D1 result (snake_case columns). */
export const fromRaw = (raw: Record<string, unknown>): RecordingRow => ({
  id: raw.id as string,
  owner: raw.owner as RecordingOwner,
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
