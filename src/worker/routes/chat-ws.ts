import { chatRoom, userHome } from '../../objects/chat-room'
import { db } from '../db/client'
import { validationError } from '../lib/errors'
import { router } from '../lib/router'
import { forwardUpgrade, upgradeCaller } from '../lib/ws-upgrade'
import { ChatSocketQuery } from '../schemas/chats'
import { requireMember } from '../services/chats'

/**
 * `GET /api/v1/chat/ws?token=<jwt>[&room_id=<chat id>[&since=<seq>]][&batch=1[&batch_ms=<n>]]` —
 * the JSON WebSocket protocol (SPEC §5.2). The token and membership are checked here, before
 * the upgrade (400 naming a malformed query field, 401 / 403 / 404 as HTTP); the socket then
 * lives in the chat's object, or — opened with only a token, as seed 003's client does — in its
 * user's home object until it sends `join_room`.
 */
export const chatWsRoutes = router()

chatWsRoutes.get('/ws', async (c) => {
  const who = await upgradeCaller(c)
  const query = ChatSocketQuery.safeParse(c.req.query())
  if (!query.success) throw validationError(query.error.issues)
  const roomId = query.data.room_id
  if (roomId === undefined) return forwardUpgrade(chatRoom(c.env, userHome(who.id)), c.req.raw, who)
  await requireMember(db(c.env.DB), roomId, who.id)
  return forwardUpgrade(chatRoom(c.env, roomId), c.req.raw, who)
})
