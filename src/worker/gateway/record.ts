import { createRoute } from '@hono/zod-openapi'
import { z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { badRequest } from '../lib/errors'
import { router } from '../lib/router'
import { staffOnly } from './access'
import { gatewayResponses } from '../schemas/common'
import {
  EgressList,
  FileHistoryQuery,
  RecordCheck,
  RecordListQuery,
  RecordRequestQuery,
  RecordRoomQuery,
  Recording,
  StopAllResult,
} from '../schemas/recordings'
import { serveObject } from '../services/files'
import * as recordings from '../services/recordings'

/** Seed 000 `/record`: LiveKit egress recordings to R2, capped by EGRESS_LIMIT with a queue. Staff only. */
export const gatewayRecordRoutes = router()

const tags = ['Gateway: record']

const KIND = {
  room_composite: { kind: 'room_composite', audioOnly: undefined },
  RoomCompositeVideoAudio: { kind: 'room_composite', audioOnly: false },
  RoomCompositeAudio: { kind: 'room_composite', audioOnly: true },
  track_composite: { kind: 'track_composite', audioOnly: undefined },
  TrackComposite: { kind: 'track_composite', audioOnly: undefined },
} as const

gatewayRecordRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/request',
    tags,
    summary: 'Start (or queue) a recording of a room; `action=stop` stops one',
    description:
      'Room composite (whole room, MP4; OGG with audioOnly) or track composite (one audio + one video ' +
      'track by id) egress, written to R2 under `recordings/<room>/<id>`. With EGRESS_LIMIT recordings ' +
      'running the request is queued (`status: queued`) and starts when a slot frees. One recording per ' +
      'room (409). `action=stop` with `room` or `recordId`: a queued one is aborted, a running one ' +
      'stopped (StopEgress). LiveKit unreachable → 503, error reply → 502 (the recording is `failed`).',
    ...staffOnly,
    request: { query: RecordRequestQuery },
    responses: gatewayResponses(Recording, 'The recording', [401, 403, 404, 409, 502, 503]),
  }),
  async (c) => {
    const q = c.req.valid('query')
    const d = db(c.env.DB)
    if (q.action === 'stop') {
      if (!q.room && !q.recordId) throw badRequest('Give `room` or `recordId` to stop a recording')
      return success(
        c,
        await recordings.stopRecording(c.env, d, c.var.config, { room: q.room, recordId: q.recordId }),
      )
    }
    if (!q.room) throw badRequest('`room` is required to start a recording')
    const { kind, audioOnly } = KIND[q.type]
    if (kind === 'track_composite' && !q.audioTrackId && !q.videoTrackId)
      throw badRequest('A track composite needs `audioTrackId` and/or `videoTrackId`')
    return success(
      c,
      await recordings.requestRecording(c.env, d, c.var.config, {
        room: q.room,
        kind,
        options: {
          audioOnly: q.audioOnly ?? audioOnly,
          layout: q.layout,
          audioTrackId: q.audioTrackId,
          videoTrackId: q.videoTrackId,
        },
        requestedBy: c.var.identity!.id,
      }),
    )
  },
)

gatewayRecordRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/list',
    tags,
    summary: 'Egress as LiveKit reports it (ListEgress), for a room’s node or every node',
    ...staffOnly,
    request: { query: RecordListQuery },
    responses: gatewayResponses(EgressList, 'Egress items', [401, 403, 404, 502, 503]),
  }),
  async (c) => success(c, await recordings.listEgress(db(c.env.DB), c.var.config, c.req.valid('query'))),
)

gatewayRecordRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/stopall',
    tags,
    summary: 'Stop every running recording (of a room, or all) and abort the queued ones',
    ...staffOnly,
    request: { query: RecordRoomQuery },
    responses: gatewayResponses(StopAllResult, 'What was stopped and what failed', [401, 403]),
  }),
  async (c) =>
    success(c, await recordings.stopAll(c.env, db(c.env.DB), c.var.config, c.req.valid('query').room)),
)

gatewayRecordRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/file',
    tags,
    summary: 'Finished recordings (R2 files under recordings/), newest first',
    ...staffOnly,
    request: { query: FileHistoryQuery },
    responses: gatewayResponses(z.array(Recording), 'Recordings', [401, 403]),
  }),
  async (c) => success(c, await recordings.fileHistory(db(c.env.DB), c.var.config, c.req.valid('query'))),
)

gatewayRecordRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/check',
    tags,
    summary: 'A room’s recording state and whether an egress slot is free (EGRESS_LIMIT)',
    ...staffOnly,
    request: { query: RecordRoomQuery },
    responses: gatewayResponses(RecordCheck, 'Recording state', [401, 403, 404]),
  }),
  async (c) =>
    success(c, await recordings.checkRecording(db(c.env.DB), c.var.config, c.req.valid('query').room)),
)

gatewayRecordRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{room}/{file}',
    tags: ['Gateway: static'],
    summary: 'A finished recording file (R2 `recordings/<room>/<file>`, supports Range)',
    description:
      'Seed 000’s static `/record` path. Like the other static paths it needs no token: the file name ' +
      'holds the recording’s random id, so the URL (from `/record/file`) is the capability.',
    request: {
      params: z.object({
        room: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
        file: z.string().regex(/^[A-Za-z0-9_-]{1,64}\.(mp4|ogg)$/),
      }),
    },
    responses: {
      200: { description: 'The bytes' },
      206: { description: 'A range' },
      404: { description: 'Not found' },
    },
  }),
  (c) => {
    const { room, file } = c.req.valid('param')
    return serveObject(c.env.BUCKET, `recordings/${room}/${file}`, c.req.raw)
  },
)
