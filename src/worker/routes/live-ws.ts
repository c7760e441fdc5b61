import { liveSessionRoom } from '../../objects/live-session-room'
import { withIdentity } from '../../objects/channel'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { db } from '../db/client'
import { AppError, unauthorized, type ErrorCode } from '../lib/errors'
import { verifyToken } from '../lib/jwt'
import { router } from '../lib/router'
import { bearerToken } from '../middleware/auth'
import { socketRole } from '../services/live-sessions'

/**
 * `GET /api/v1/live/sessions/:session_id/ws?token=<jwt>` — a live session's event socket. The
 * token and the caller's place in the session are checked here, before the upgrade (401 / 403 /
 * 404 / 409 as HTTP); the socket then lives in the session's object (objects/live-session-room.ts).
 */
export const liveWsRoutes = router()

liveWsRoutes.get('/sessions/:session_id/ws', async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
    throw new AppError('bad_request', 'Expected a WebSocket upgrade', undefined, 426)
  const token = c.req.query('token') ?? bearerToken(c.req.header('authorization'))
  if (!token) throw unauthorized('A token is required (?token=<jwt>)')
  const who = await verifyToken(token, c.var.config.JWT_SECRET)
  const id = c.req.param('session_id')
  const role = await socketRole(db(c.env.DB), id, who)
  const url = new URL(c.req.url)
  url.searchParams.delete('token')
  url.searchParams.set('role', role)
  const identity = { id: who.id, role: who.role, name: who.name, ...(who.email ? { email: who.email } : {}) }
  const res = await liveSessionRoom(c.env, id).fetch(withIdentity(new Request(url, c.req.raw), identity))
  if (res.status === 101) return res
  const refusal = (await res.json()) as { code: ErrorCode; message: string }
  throw new AppError(refusal.code, refusal.message, undefined, res.status as ContentfulStatusCode)
})
