import { chatRoom } from '../../objects/chat-room'
import { db } from '../db/client'
import { AppError } from '../lib/errors'
import { router } from '../lib/router'
import { forwardUpgrade, upgradeCaller } from '../lib/ws-upgrade'
import { requireMember } from '../services/chats'

/**
 * `GET /api/v1/chat/ws?token=<jwt>&room_id=<chat id>[&since=<seq>][&batch=1[&batch_ms=<n>]]` —
 * the JSON WebSocket protocol (SPEC §5.2). The token and membership are checked here, before
 * the upgrade (401 / 403 / 404 as HTTP); the socket then lives in the chat's object.
 */
export const chatWsRoutes = router()

chatWsRoutes.get('/ws', async (c) => {
  const who = await upgradeCaller(c)
  const roomId = c.req.query('room_id')
  if (!roomId)
    throw new AppError('validation_failed', 'Invalid request: room_id', {
      fields: [{ path: 'room_id', message: 'is required' }],
    })
  await requireMember(db(c.env.DB), roomId, who.id)
  return forwardUpgrade(chatRoom(c.env, roomId), c.req.raw, who)
})
