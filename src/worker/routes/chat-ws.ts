import { chatRoom } from '../../objects/chat-room'
import { withIdentity } from '../../objects/channel'
import { db } from '../db/client'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError, unauthorized, type ErrorCode } from '../lib/errors'
import { verifyToken } from '../lib/jwt'
import { router } from '../lib/router'
import { bearerToken } from '../middleware/auth'
import { requireMember } from '../services/chats'

/**
 * `GET /api/v1/chat/ws?token=<jwt>&room_id=<chat id>[&since=<seq>][&batch=1[&batch_ms=<n>]]` —
 * the JSON WebSocket protocol (SPEC §5.2). The token and membership are checked here, before
 * the upgrade (401 / 403 / 404 as HTTP); the socket then lives in the chat's object.
 */
export const chatWsRoutes = router()

chatWsRoutes.get('/ws', async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
    throw new AppError('bad_request', 'Expected a WebSocket upgrade', undefined, 426)
  const token = c.req.query('token') ?? bearerToken(c.req.header('authorization'))
  if (!token) throw unauthorized('A token is required (?token=<jwt>)')
  const who = await verifyToken(token, c.var.config.JWT_SECRET)
  const roomId = c.req.query('room_id')
  if (!roomId)
    throw new AppError('validation_failed', 'Invalid request: room_id', {
      fields: [{ path: 'room_id', message: 'is required' }],
    })
  await requireMember(db(c.env.DB), roomId, who.id)
  const identity = { id: who.id, role: who.role, name: who.name, ...(who.email ? { email: who.email } : {}) }
  const res = await chatRoom(c.env, roomId).fetch(withIdentity(c.req.raw, identity))
  if (res.status === 101) return res
  // The object refused (room full, …): answer in the API's envelope with its status.
  const refusal = (await res.json()) as { code: ErrorCode; message: string }
  throw new AppError(refusal.code, refusal.message, undefined, res.status as ContentfulStatusCode)
})
