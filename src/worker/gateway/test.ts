import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { requireAuth } from '../middleware/auth'
import { bearerSecurity, gatewayResponses } from '../schemas/common'
import {
  ClearedDiagnostics,
  RecordIdParam,
  StoreConnections,
  StoreOperations,
  UnmutedTracks,
} from '../schemas/diagnostics'
import { Recording } from '../schemas/recordings'
import { RoomQuery } from '../schemas/rooms'
import { NamespaceList } from '../schemas/system'
import * as diagnostics from '../services/diagnostics'
import * as recordings from '../services/recordings'
import { unmuteAll } from '../services/room-users'
import { namespaces } from '../services/system'

/**
 * Seed 000 `/test`: its debugging routes, admin only. The Redis ones inspect this system's own
 * stores instead (D1, R2, Durable Objects); the MP4 queue is the recording queue (EGRESS_LIMIT).
 */
export const gatewayTestRoutes = router()

const common = {
  tags: ['Gateway: test'],
  security: bearerSecurity,
  middleware: [requireAuth({ roles: ['admin'] })],
}

gatewayTestRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/',
    summary: 'Unmute every muted published track of a room (seed 000 TestUnMuteAll)',
    request: { query: RoomQuery },
    responses: gatewayResponses(UnmutedTracks, 'Tracks unmuted', [401, 403, 404, 502, 503]),
  }),
  async (c) => success(c, await unmuteAll(db(c.env.DB), c.var.config, c.req.valid('query').room)),
)

gatewayTestRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/get/namespace',
    summary: 'Socket.IO namespaces served now (as GET /namespace)',
    responses: gatewayResponses(NamespaceList, 'Namespaces', [401, 403]),
  }),
  async (c) => success(c, await namespaces(db(c.env.DB))),
)

gatewayTestRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/redis/connection',
    summary: 'Reach each store: D1, R2 and a Durable Object (replaces the Redis check)',
    description: 'Answers 503 with the probes when any store fails.',
    responses: gatewayResponses(StoreConnections, 'Every store answered', [401, 403, 503]),
  }),
  async (c) => {
    const r = await diagnostics.storeConnections(c.env)
    return success(c, r, r.ok ? 'connected' : 'a store failed', r.ok ? 200 : 503)
  },
)

gatewayTestRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/redis/operations',
    summary: 'Write, read back and delete one value in D1 and R2 (replaces the Redis round trip)',
    description: 'Answers 503 with the probes when any round trip fails.',
    responses: gatewayResponses(StoreOperations, 'Every round trip worked', [401, 403, 503]),
  }),
  async (c) => {
    const r = await diagnostics.storeOperations(c.env, db(c.env.DB))
    return success(c, r, r.ok ? 'operations ok' : 'a round trip failed', r.ok ? 200 : 503)
  },
)

gatewayTestRoutes.openapi(
  createRoute({
    ...common,
    method: 'delete',
    path: '/redis/clear',
    summary: 'Remove what the round trips left behind (R2 `test/diagnostics/`, their usage-log rows)',
    responses: gatewayResponses(ClearedDiagnostics, 'Removed', [401, 403]),
  }),
  async (c) => success(c, await diagnostics.clearDiagnostics(c.env, db(c.env.DB))),
)

gatewayTestRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/mp4/queue',
    summary: 'Recordings waiting for an egress slot, oldest first',
    responses: gatewayResponses(z.array(Recording), 'The queue', [401, 403]),
  }),
  async (c) => success(c, await recordings.queuedRecordings(db(c.env.DB), c.var.config)),
)

gatewayTestRoutes.openapi(
  createRoute({
    ...common,
    method: 'delete',
    path: '/mp4/queue/{recordId}',
    summary: 'Abort one queued recording (409 when it is no longer queued)',
    request: { params: RecordIdParam },
    responses: gatewayResponses(z.array(Recording), 'Aborted', [401, 403, 404, 409]),
  }),
  async (c) =>
    success(
      c,
      await recordings.abortQueued(c.env, db(c.env.DB), c.var.config, c.req.valid('param').recordId),
    ),
)

gatewayTestRoutes.openapi(
  createRoute({
    ...common,
    method: 'delete',
    path: '/mp4/queue',
    summary: 'Abort every queued recording',
    responses: gatewayResponses(z.array(Recording), 'Aborted', [401, 403]),
  }),
  async (c) => success(c, await recordings.abortQueued(c.env, db(c.env.DB), c.var.config)),
)
