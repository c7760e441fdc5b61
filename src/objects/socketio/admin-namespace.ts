import { db } from '../../worker/db/client'
import type { Env } from '../../worker/env'
import { AppError } from '../../worker/lib/errors'
import { verifyToken } from '../../worker/lib/jwt'
import { metricsRegistry } from '../../worker/metrics/registry'
import { accessToken, authenticate } from '../../worker/services/auth'
import { encodeSio, SIO, type EngineFrame } from './codec'
import type { NamespaceHandler, NsContext } from './namespace'
import type { Membership, SessionState } from './session'

/**
 * `/admin`: the server side of `@socket.io/admin-ui`'s protocol (README "Operations"), whose UI
 * is served at `/admin-ui/`. Sockets live in many objects here, so the namespace works in the
 * UI's aggregated mode over the metrics registry: every REFRESH_MS the object holding an admin
 * socket asks the registry which objects hold Socket.IO connections, asks each for its sockets
 * (`adminSockets`), and sends `all_sockets` (the whole list), `socket_connected` /
 * `socket_disconnected` for what changed, and `server_stats` (connections and long-polling
 * connections with a socket, sockets per namespace, and connections and disconnections as
 * aggregated events). Commands: `emit`, `join`, `leave` and `_disconnect` reach the sockets of a
 * namespace in a room (a socket's own id is its room; without a filter: every socket of the
 * namespace) wherever they are held. Switchboard's namespaces use no Socket.IO rooms themselves:
 * the rooms an admin makes sockets join (at most MAX_ADMIN_ROOMS per socket, kept with the
 * socket) serve the admin's own `emit`, `join`, `leave` and `_disconnect`. Admins only: `auth.username` / `auth.password` (an admin's
 * Switchboard email and password, as the UI's login form sends them; answered with a `session`
 * token the UI reconnects with as `auth.sessionId`), or an admin access token as `auth.token` or
 * `auth.sessionId`.
 */

/** Rooms an admin can make one socket join (they are kept in its ≤ 2 KiB attachment). */
export const MAX_ADMIN_ROOMS = 8
const ROOM_NAME = /^[\w.:@-]{1,64}$/

/** How often the UI's lists and stats are refreshed, ms (the Node server's stats interval). */
export const REFRESH_MS = 2000

/** What the UI shows for one socket (`SerializedSocket` of @socket.io/admin-ui). */
export interface AdminSocket {
  id: string
  clientId: string
  transport: 'websocket' | 'polling'
  nsp: string
  data: Record<string, unknown>
  handshake: {
    address: string
    headers: Record<string, string>
    query: Record<string, string>
    issued: number
    secure: boolean
    time: string
    url: string
    xdomain: boolean
  }
  rooms: string[]
}

/** One session as the admin UI handles it (`SocketIoHost.adminSessions`). */
export interface AdminSession {
  eid: string
  transport: 'websocket' | 'polling'
  state: SessionState
  send(frames: EngineFrame[]): void
  /** Takes it out of `nsp` (the namespace's disconnect handler runs). */
  leave(nsp: string): Promise<void>
  /** Closes its whole connection. */
  close(): Promise<void>
  /** Replaces the admin rooms of its socket in `nsp`. */
  setRooms(nsp: string, rooms: string[]): void
}

const FEATURES = [
  'EMIT',
  'JOIN',
  'LEAVE',
  'DISCONNECT',
  'MJOIN',
  'MLEAVE',
  'MDISCONNECT',
  'AGGREGATED_EVENTS',
  'ALL_EVENTS',
]

export const adminNamespace: NamespaceHandler = {
  async connect(c, _sock, auth) {
    const asToken = auth.token ?? auth.sessionId
    if (typeof asToken === 'string' && asToken) {
      const who = await verifyToken(asToken, c.config.JWT_SECRET).catch(() => {
        throw new AppError('unauthorized', 'invalid credentials')
      })
      if (who.role !== 'admin') throw new AppError('forbidden', '/admin requires an admin')
      return { id: who.id, n: who.name.slice(0, 120) }
    }
    const { username, password } = auth
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password)
      throw new AppError('unauthorized', 'invalid credentials')
    const row = await authenticate(c.env, db(c.env.DB), c.config, username, password, 'socketio-admin').catch(
      (err: unknown) => {
        // The UI shows the message; it knows "invalid credentials" as the login form's error.
        if (err instanceof AppError && err.code === 'rate_limited') throw err
        throw new AppError('unauthorized', 'invalid credentials')
      },
    )
    if (row.role !== 'admin') throw new AppError('forbidden', '/admin requires an admin')
    return { id: row.id, n: row.name.slice(0, 120), login: 1 }
  },

  async connected(c, sock) {
    if (sock.data.login) {
      const token = await accessToken(c.config, {
        id: String(sock.data.id),
        role: 'admin',
        name: String(sock.data.n),
        email: '',
      })
      c.emit('session', token)
    }
    c.emit('config', { supportedFeatures: FEATURES })
    const view = viewOf(c)
    view.admins.add(sock.sid)
    await refresh(c, view, (event, ...args) => c.emit(event, ...args))
    view.timer ??= setInterval(() => {
      void refresh(c, view, (event, ...args) => c.broadcast(event, args)).catch((err) =>
        console.error(JSON.stringify({ level: 'error', msg: 'admin refresh', error: String(err) })),
      )
    }, REFRESH_MS)
  },

  async event(c, _sock, name, args) {
    switch (name) {
      case 'emit': {
        const [nsp, filter, event, ...rest] = args
        if (typeof nsp !== 'string' || typeof event !== 'string')
          throw new AppError('validation_failed', 'emit: expected (nsp, filter, event, ...args)')
        return [await acrossObjects(c.env, (o) => o.adminEmit(nsp, roomFilter(filter), event, rest))]
      }
      case '_disconnect': {
        const [nsp, close, filter] = args
        if (typeof nsp !== 'string')
          throw new AppError('validation_failed', '_disconnect: expected (nsp, close, filter)')
        return [await acrossObjects(c.env, (o) => o.adminDisconnect(nsp, roomFilter(filter), close === true))]
      }
      case 'join':
      case 'leave': {
        const [nsp, room, filter] = args
        if (typeof nsp !== 'string' || typeof room !== 'string' || !ROOM_NAME.test(room))
          throw new AppError(
            'validation_failed',
            `${name}: expected (nsp, room, filter) with a room of 1-64 letters, digits or . : @ _ -`,
          )
        return [
          await acrossObjects(c.env, (o) => o.adminRooms(nsp, roomFilter(filter), room, name === 'join')),
        ]
      }
      default:
        throw new AppError(
          'bad_request',
          `Unknown event "${name}" on /admin (use emit, join, leave, _disconnect)`,
        )
    }
  },

  disconnect(c, sock) {
    const view = viewOf(c)
    view.admins.delete(sock.sid)
    if (view.admins.size === 0 && view.timer) {
      clearInterval(view.timer)
      views.delete(c.ctx)
    }
  },
}

// ── What the UI was last shown, per object holding admin sockets ───────────────────────

interface View {
  admins: Set<string>
  timer?: ReturnType<typeof setInterval>
  /** Sockets of the previous refresh, by `nsp sid`. */
  known?: Map<string, AdminSocket>
  since: number
}

const views = new Map<DurableObjectState, View>()

function viewOf(c: NsContext): View {
  let view = views.get(c.ctx)
  if (!view) views.set(c.ctx, (view = { admins: new Set(), since: Date.now() }))
  return view
}

/** Lists every socket and sends the UI its lists, the changes since the last refresh and the stats. */
async function refresh(
  c: NsContext,
  view: View,
  send: (event: string, ...args: unknown[]) => void,
): Promise<void> {
  const sockets = await allSockets(c.env)
  const now = Date.now()
  const current = new Map(sockets.map((s) => [`${s.nsp} ${s.id}`, s]))
  const events: { timestamp: number; type: string; count: number }[] = []
  if (view.known) {
    const at = new Date(now)
    let connected = 0
    let gone = 0
    for (const [k, s] of current)
      if (!view.known.has(k)) {
        connected++
        send('socket_connected', s, at)
      }
    for (const [k, s] of view.known)
      if (!current.has(k)) {
        gone++
        send('socket_disconnected', s.nsp, s.id, 'transport close', at)
      }
    const second = now - (now % 1000)
    if (connected) events.push({ timestamp: second, type: 'rawConnection', count: connected })
    if (gone) events.push({ timestamp: second, type: 'rawDisconnection', count: gone })
  }
  view.known = current
  send('all_sockets', sockets)
  const namespaces = new Map<string, number>()
  for (const s of sockets) namespaces.set(s.nsp, (namespaces.get(s.nsp) ?? 0) + 1)
  const clients = new Map(sockets.map((s) => [s.clientId, s.transport]))
  send('server_stats', {
    serverId: 'switchboard',
    hostname: 'cloudflare-workers',
    pid: 0,
    uptime: Math.round((now - view.since) / 1000),
    clientsCount: clients.size,
    pollingClientsCount: [...clients.values()].filter((t) => t === 'polling').length,
    aggregatedEvents: events,
    namespaces: [...namespaces].map(([name, socketsCount]) => ({ name, socketsCount })),
  })
}

/** ConferenceRoom's admin RPCs (declared here: their namespace data is JSON of no fixed shape). */
interface AdminStub {
  adminSockets(): Promise<AdminSocket[]>
  adminEmit(nsp: string, room: string | undefined, event: string, args: unknown[]): Promise<number>
  adminDisconnect(nsp: string, room: string | undefined, close: boolean): Promise<number>
  adminRooms(nsp: string, filter: string | undefined, room: string, join: boolean): Promise<number>
}

/** The objects holding Socket.IO sessions, from the registry. */
async function holders(env: Env): Promise<AdminStub[]> {
  const objects = await metricsRegistry(env).holding('socketio')
  return objects
    .filter((o) => o.startsWith('conference:'))
    .map((o) => env.CONFERENCE_ROOM.getByName(o.slice('conference:'.length)) as unknown as AdminStub)
}

/** Every socket the registry's objects hold (an object that fails to answer is skipped). */
async function allSockets(env: Env): Promise<AdminSocket[]> {
  const lists = await Promise.all((await holders(env)).map((o) => o.adminSockets().catch(() => [])))
  return lists.flat()
}

/** Runs `fn` on every object holding sockets; answers how many sockets it reached in all. */
async function acrossObjects(env: Env, fn: (o: AdminStub) => Promise<number>): Promise<number> {
  const counts = await Promise.all((await holders(env)).map((o) => fn(o).catch(() => 0)))
  return counts.reduce((n, x) => n + x, 0)
}

// ── In the object holding the sockets (ConferenceRoom's admin RPCs) ─────────────────────

/** The sockets of `sessions` as the UI shows them (handshake tokens are left out). */
export function adminSockets(sessions: AdminSession[]): AdminSocket[] {
  const out: AdminSocket[] = []
  for (const s of sessions) {
    const query: Record<string, string> = {}
    for (const [k, v] of Object.entries(s.state.q ?? {})) if (k !== 'token') query[k] = v
    const at = s.state.connectedAt
    for (const [nsp, m] of Object.entries(s.state.nsps))
      out.push({
        id: m.sid,
        clientId: s.eid.slice(s.eid.indexOf('.') + 1),
        transport: s.transport,
        nsp,
        data: { ...m.d },
        handshake: {
          address: '',
          headers: {},
          query,
          issued: at,
          secure: true,
          time: new Date(at).toString(),
          url: '/socket.io/',
          xdomain: false,
        },
        rooms: [m.sid, ...(m.j ?? [])],
      })
  }
  return out
}

/** The admin UI's filter: a room name (a socket's id is its own room), or none for every socket. */
const roomFilter = (filter: unknown) => (typeof filter === 'string' && filter ? filter : undefined)

/** The sessions with a socket in `nsp` that is in room `room` (every one without), with that socket. */
function inRoom(
  sessions: AdminSession[],
  nsp: string,
  room: string | undefined,
): { s: AdminSession; m: Membership }[] {
  const out: { s: AdminSession; m: Membership }[] = []
  for (const s of sessions) {
    const m = s.state.nsps[nsp]
    if (m && (room === undefined || m.sid === room || m.j?.includes(room))) out.push({ s, m })
  }
  return out
}

/** Emits `event` to the sockets of `nsp` in room `room` (every one without); answers how many got it. */
export function adminEmit(
  sessions: AdminSession[],
  nsp: string,
  room: string | undefined,
  event: string,
  args: unknown[],
): number {
  const frames = encodeSio({ type: SIO.EVENT, nsp, data: [event, ...args] })
  const targets = inRoom(sessions, nsp, room)
  for (const { s } of targets) s.send(frames)
  return targets.length
}

/**
 * Disconnects the sockets of `nsp` in room `room` (every one without): with `close`, their whole
 * connection closes; otherwise they get the server's DISCONNECT for that namespace and leave it.
 * Answers how many.
 */
export async function adminDisconnect(
  sessions: AdminSession[],
  nsp: string,
  room: string | undefined,
  close: boolean,
): Promise<number> {
  const targets = inRoom(sessions, nsp, room)
  for (const { s } of targets) {
    if (close) {
      await s.close()
      continue
    }
    s.send(encodeSio({ type: SIO.DISCONNECT, nsp }))
    await s.leave(nsp)
  }
  return targets.length
}

/**
 * Makes the sockets of `nsp` in room `filter` (every one without) join or leave room `room`;
 * answers how many changed. A socket already in MAX_ADMIN_ROOMS rooms joins no more.
 */
export function adminRooms(
  sessions: AdminSession[],
  nsp: string,
  filter: string | undefined,
  room: string,
  join: boolean,
): number {
  let n = 0
  for (const { s, m } of inRoom(sessions, nsp, filter)) {
    if (m.sid === room) continue
    const rooms = m.j ?? []
    if (join === rooms.includes(room) || (join && rooms.length >= MAX_ADMIN_ROOMS)) continue
    s.setRooms(nsp, join ? [...rooms, room] : rooms.filter((r) => r !== room))
    n++
  }
  return n
}
