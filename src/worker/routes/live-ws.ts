import { liveSessionRoom } from '../../objects/live-session-room'
import { db } from '../db/client'
import { router } from '../lib/router'
import { forwardUpgrade, upgradeCaller } from '../lib/ws-upgrade'
import { socketRole } from '../services/live-sessions'

/**
 * `GET /api/v1/live/sessions/:session_id/ws?token=<jwt>` — a live session's event socket. The
 * token and the caller's place in the session are checked here, before the upgrade (401 / 403 /
 * 404 / 409 as HTTP); the socket then lives in the session's object (objects/live-session-room.ts),
 * or, once that holds MAX_CONNECTIONS_PER_ROOM sockets, in the shard of it the object names.
 */
export const liveWsRoutes = router()

liveWsRoutes.get('/sessions/:session_id/ws', async (c) => {
  const who = await upgradeCaller(c)
  const id = c.req.param('session_id')
  const role = await socketRole(db(c.env.DB), id, who)
  const url = new URL(c.req.url)
  url.searchParams.delete('token')
  url.searchParams.set('role', role)
  return forwardUpgrade(liveSessionRoom(c.env, id), new Request(url, c.req.raw), who, (shard) =>
    liveSessionRoom(c.env, shard),
  )
})
