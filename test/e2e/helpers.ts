import { AccessToken } from 'livekit-server-sdk'
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client'
import { inject } from 'vitest'
import { signToken } from '../../src/worker/lib/jwt'
import { E2E_VARS } from './test-env'

export const baseUrl = () => inject('baseUrl')

let n = 0
/** A room name no other test uses. */
export const uniqueRoom = (tag = 'room') => `${tag}-${Date.now().toString(36)}-${++n}`

/** A LiveKit token for `room` signed with the dev node's key (what `POST /user/generate` answers). */
export async function liveKitToken(room: string, identity = `user-${++n}`, name = identity): Promise<string> {
  const at = new AccessToken(E2E_VARS.LIVEKIT_API_KEY, E2E_VARS.LIVEKIT_API_SECRET, {
    identity,
    name,
    ttl: '1h',
  })
  at.addGrant({ room, roomJoin: true })
  return at.toJwt()
}

/** A Switchboard staff access token (admin) signed with the test JWT secret. */
export function staffToken(id = `staff-${++n}`): Promise<string> {
  return signToken({ sub: id, role: 'admin', name: 'Staff', typ: 'access' }, E2E_VARS.JWT_SECRET, 3600)
}

const open: Socket[] = []

/** A socket.io-client socket on `nsp` (not yet connected unless `connect` is awaited). */
export function client(nsp: string, opts: Partial<ManagerOptions & SocketOptions> = {}): Socket {
  const s = io(baseUrl() + nsp, { reconnection: false, ...opts })
  open.push(s)
  return s
}

/** Closes every socket `client` made. */
export function closeAll(): void {
  for (const s of open.splice(0)) s.disconnect()
}

/** Resolves once connected; rejects with the connect_error. */
export function connected(s: Socket, timeoutMs = 10_000): Promise<Socket> {
  if (s.connected) return Promise.resolve(s)
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('connect timeout')), timeoutMs)
    s.once('connect', () => (clearTimeout(t), resolve(s)))
    s.once('connect_error', (err) => (clearTimeout(t), reject(err)))
  })
}

/** The next `event` on `s` (its first argument). */
export function next<T = any>(s: Socket, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${event}`)), timeoutMs)
    s.once(event, (arg: T) => (clearTimeout(t), resolve(arg)))
  })
}

/** Collects every `event` on `s` into an array (live). */
export function collect<T = any>(s: Socket, event: string): T[] {
  const out: T[] = []
  s.on(event, (arg: T) => out.push(arg))
  return out
}

/** Polls `cond` until true (or fails after `timeoutMs`). */
export async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A connected member of `room` on its own connection (websocket only unless `opts` say otherwise). */
export async function member(
  room: string,
  identity?: string,
  opts: Partial<ManagerOptions & SocketOptions> = {},
): Promise<Socket> {
  const token = await liveKitToken(room, identity)
  return connected(
    client(`/${room}`, { transports: ['websocket'], forceNew: true, auth: { token }, ...opts }),
  )
}
