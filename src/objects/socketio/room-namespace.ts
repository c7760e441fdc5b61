import { AppError } from '../../worker/lib/errors'
import { verifyLiveKitToken } from '../../worker/lib/livekit/tokens'
import { isPlainObject } from '../../worker/lib/plain-object'
import type { NamespaceHandler, NsContext, NsSocket } from './namespace'
import { roomIn } from '../room/registry'
import { chatAck, chatCommand, encodeReplay } from './room-chat'
import { roomClosed } from './room-status'
import { roomMembers } from './room-members'
import { recordSocketId } from './socket-id-writes'

/** Events a room member may send that are relayed to the rest of the room as they are. */
const RELAYED = new Set([
  'user-connection',
  'user-disconnect',
  'room-record',
  'agentCar',
  'conference-status',
])

const roomOf = (c: NsContext) => c.nsp.slice(1)

/** `/{roomName}` (seed 000 §4.2.1): LiveKit-token identity, presence, persisted ordered chat, positions. */
export const roomNamespace: NamespaceHandler = {
  async connect(c, sock, auth, query) {
    const room = roomOf(c)
    const token = auth.token ?? query.token
    if (typeof token !== 'string' || !token) throw new AppError('unauthorized', 'auth.token is required')
    const claims = await verifyLiveKitToken(c.config, token)
    if (claims.room !== room) throw new AppError('forbidden', `auth.token is for another room, not "${room}"`)
    if (await roomClosed(c.ctx, c.env.DB, room)) throw new AppError('forbidden', `Room "${room}" is closed`)
    recordSocketId(c.ctx, c.env.DB, room, claims.identity, sock.sid)
    const { pid, since } = recovery(auth, roomIn(c.ctx).lastSeq)
    return {
      id: claims.identity,
      n: claims.name.slice(0, 120),
      ...(claims.userType ? { t: claims.userType.slice(0, 40) } : {}),
      ...(since !== undefined ? { since } : {}),
      pid,
    }
  },

  connected(c, sock) {
    c.broadcast('user-connection', [member(c, sock)], { except: sock.sid })
    const user = actor(sock)
    roomMembers(c.ctx).add(sock.sid, user.id, user.name)
    roomIn(c.ctx).arrived(user)
    const since = sock.data.since
    if (typeof since === 'number')
      for (const json of encodeReplay(roomOf(c), roomIn(c.ctx).replay(since))) c.emitJson(json)
  },

  async event(c, sock, name, args) {
    const payload = args[0]
    const room = roomIn(c.ctx)
    if (name === 'chat-message') {
      return chatAck(await room.execute(actor(sock), chatCommand(payload)))
    }
    // Other events keep their order behind chat messages still being written.
    await room.written()
    switch (name) {
      case 'position': {
        if (!isPlainObject(payload))
          throw new AppError('validation_failed', 'position: expected an object {lat, lng}')
        if (typeof payload.lat !== 'number' || typeof payload.lng !== 'number')
          throw new AppError('validation_failed', 'position: lat and lng must be numbers')
        c.broadcast('position', [{ ...payload, identity: sock.data.id, name: sock.data.n }], {
          except: sock.sid,
        })
        return
      }
      default:
        if (!RELAYED.has(name)) throw new AppError('bad_request', `Unknown event "${name}" on ${c.nsp}`)
        c.broadcast(name, args, { except: sock.sid })
        return
    }
  },

  disconnect(c, sock) {
    c.broadcast('user-disconnect', [member(c, sock)], { except: sock.sid })
    if (roomMembers(c.ctx).remove(sock.sid)) roomIn(c.ctx).departed(actor(sock))
  },
}

/** The socket's user as the room core names them. */
const actor = (sock: NsSocket) => ({ id: String(sock.data.id), name: String(sock.data.n ?? '') })

function member(c: NsContext, sock: NsSocket) {
  return {
    identity: sock.data.id,
    name: sock.data.n,
    ...(sock.data.t ? { userType: sock.data.t } : {}),
    socketId: sock.sid,
    room: roomOf(c),
  }
}

const PID = /^p(\d+)\.[a-z0-9]{6,16}$/

/**
 * Where a (re)connecting client resumes the chat: `auth.last_seq` (or `lastSeq`), or Socket.IO's
 * connection-state recovery — socket.io-client ≥ 4.6 sends back the `pid` of its CONNECT reply
 * and the last offset (chat seq) it saw, with no frontend change. A pid carries the seq at which
 * it was issued, for clients that saw no message since. Answers the pid to (re)issue.
 */
function recovery(auth: Record<string, unknown>, lastSeq: number): { pid: string; since?: number } {
  const raw = auth.last_seq ?? auth.lastSeq ?? auth.offset
  const n = typeof raw === 'string' && raw !== '' ? Number(raw) : raw
  const seen = typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined
  const prior = typeof auth.pid === 'string' ? PID.exec(auth.pid) : null
  if (prior) return { pid: auth.pid as string, since: seen ?? Number(prior[1]) }
  const pid = `p${lastSeq}.${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`
  return { pid, ...(seen !== undefined ? { since: seen } : {}) }
}
