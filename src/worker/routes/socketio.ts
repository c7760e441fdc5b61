import { Hono } from 'hono'
import { peekRoom } from '../../objects/socketio/livekit-token'
import { ROOM_NAME } from '../../objects/socketio/namespaces'
import { hostStub, refFromSid, type ObjectRef } from '../../objects/socketio/refs'
import type { AppEnv } from '../env'

/**
 * `/socket.io/*` (Engine.IO v4): routes each request to the object holding its session. A
 * session's id names its object, so later requests route without a lookup. A new session goes to
 * the room's ConferenceRoom when the URL hints at one (query `room`, or query `token` — a LiveKit
 * token whose `video.room` names it, read here for routing only and verified at CONNECT), so the
 * room's sockets live with the room; otherwise to one of the location's home objects, which
 * follows the namespaces its sockets join — until the session's upgrade to a WebSocket, which goes
 * to the room's object when the home says so (src/objects/socketio/handoff.ts).
 */
export const socketIoRoutes = new Hono<AppEnv>()

socketIoRoutes.all('*', async (c) => {
  const url = new URL(c.req.url)
  if (url.searchParams.get('EIO') !== '4') return engineError(400, 5, 'Unsupported protocol version')
  const transport = url.searchParams.get('transport')
  if (transport !== 'polling' && transport !== 'websocket') return engineError(400, 0, 'Transport unknown')
  const isUpgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket'
  if ((transport === 'websocket') !== isUpgrade) return engineError(400, 3, 'Bad request')
  const sid = url.searchParams.get('sid')
  const ref = sid ? refFromSid(sid) : homeFor(url, c.req.raw.cf?.colo, c.var.config.SOCKETIO_HOME_OBJECTS)
  if (!ref) return engineError(400, 1, 'Session ID unknown')
  if (sid && isUpgrade && ref.kind === 'room' && ref.name.startsWith('~')) {
    // A session that opened without a hint moves to its room's object at the upgrade.
    const to = await hostStub(c.env, ref)
      .sioUpgradeTarget(sid)
      .catch(() => null)
    if (to) return hostStub(c.env, to).fetch(c.req.raw)
  }
  return hostStub(c.env, ref).fetch(c.req.raw)
})

/**
 * The object a new session starts in: the hinted room, or one of the location's
 * SOCKETIO_HOME_OBJECTS home objects (`request.cf.colo`; `local` outside Cloudflare), at random.
 * Sessions share homes: a room delivers once per home and turn, so a few homes make few
 * deliveries however many sockets they hold, and no object is started (and erased) per
 * connection. Per location because an object runs where it was first used: a home near its clients.
 */
export function homeFor(url: URL, colo: unknown, homes: number): ObjectRef {
  const token = url.searchParams.get('token')
  const room = url.searchParams.get('room') ?? (token ? peekRoom(token) : undefined)
  if (room && ROOM_NAME.test(room)) return { kind: 'room', name: room }
  return {
    kind: 'room',
    name: `~${typeof colo === 'string' ? colo : 'local'}-${Math.floor(Math.random() * homes)}`,
  }
}

function engineError(status: 400, code: number, message: string): Response {
  return Response.json({ code, message }, { status })
}
