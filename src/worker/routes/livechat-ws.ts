import { Hono } from 'hono'
import { withIdentity } from '../../objects/channel'
import { db } from '../db/client'
import type { AppEnv } from '../env'
import { badRequest, unauthorized, validationError } from '../lib/errors'
import { requireUserAccount } from '../lib/identity'
import { verifyToken } from '../lib/jwt'
import { LiveChatSocketQuery, LiveChatUserType } from '../schemas/livechat'
import * as livechat from '../services/livechat'

/**
 * Seed 004's socket: `GET /ws/:session_id/:user_id/:user_type?token=<jwt>[&since=<seq>]`. Every
 * check (query, token, user, type, session) happens here, before the upgrade, as HTTP
 * 400/401/403/404/409; the session's object then takes the socket.
 */
export const liveChatWsRoutes = new Hono<AppEnv>()

liveChatWsRoutes.get('/:session_id/:user_id/:user_type', async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw badRequest('Expected a WebSocket upgrade')
  const { session_id, user_id, user_type } = c.req.param()
  const type = LiveChatUserType.safeParse(user_type)
  if (!type.success)
    throw badRequest('user_type must be customer or agent', {
      fields: [{ path: 'user_type', message: 'must be customer or agent' }],
    })
  const query = LiveChatSocketQuery.safeParse(c.req.query())
  if (!query.success) throw validationError(query.error.issues)
  const token = query.data.token
  if (!token) throw unauthorized('token query parameter is required')
  const who = await verifyToken(token, c.var.config.JWT_SECRET)
  requireUserAccount(who)
  const d = db(c.env.DB)
  const row = await livechat.getSession(d, session_id)
  await livechat.authorizeSocket(d, row, who, user_id, type.data)
  const url = new URL(c.req.url)
  url.searchParams.delete('token')
  url.searchParams.set('user_type', type.data)
  const identity = { id: who.id, role: who.role, name: who.name, ...(who.email ? { email: who.email } : {}) }
  return livechat.liveChatObject(c.env, row.id).fetch(withIdentity(new Request(url, c.req.raw), identity))
})
