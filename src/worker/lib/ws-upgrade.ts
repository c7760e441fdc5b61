import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { withIdentity } from '../../objects/channel'
import { FULL_HEADER, SHARD_HEADER } from '../../objects/shards'
import type { AppEnv } from '../env'
import { bearerToken } from '../middleware/auth'
import { AppError, unauthorized, type ErrorCode } from './errors'
import { requireUserAccount, type AuthIdentity } from './identity'
import { verifyToken } from './jwt'

/**
 * The caller of a WebSocket route: 426 without an upgrade, 401 without a valid token (`?token=`,
 * as browsers cannot set headers on WebSockets, or the bearer), 403 for a service token (these
 * sockets serve user accounts only).
 */
export async function upgradeCaller(c: Context<AppEnv>): Promise<AuthIdentity> {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
    throw new AppError('bad_request', 'Expected a WebSocket upgrade', undefined, 426)
  const token = c.req.query('token') ?? bearerToken(c.req.header('authorization'))
  if (!token) throw unauthorized('A token is required (?token=<jwt>)')
  const who = await verifyToken(token, c.var.config.JWT_SECRET)
  requireUserAccount(who)
  return { id: who.id, role: who.role, name: who.name, ...(who.email ? { email: who.email } : {}) }
}

/** An object that can take a WebSocket upgrade. */
type Upgradable = { fetch(request: Request): Promise<Response> }

/** Attempts at placing one socket (the room, its shard, the room again if that shard was full, …). */
const PLACEMENT_TRIES = 4

/**
 * Hands the upgrade to the object that will hold the socket, with the verified identity. A
 * refusal by the object (room full, ended, …) is answered in the API's envelope with its status.
 * With `shard` (rooms that spread over shards, objects/shards.ts), a full room names the shard
 * the socket goes to; if that shard is full by then, the room is asked again.
 */
export async function forwardUpgrade(
  object: Upgradable,
  request: Request,
  identity: AuthIdentity,
  shard?: (name: string) => Upgradable,
): Promise<Response> {
  let target = object
  let placed: string | null = null
  let full: string | null = null
  for (let tries = 1; ; tries++) {
    const forwarded = withIdentity(request, identity)
    if (full) forwarded.headers.set(FULL_HEADER, full)
    const res = await target.fetch(forwarded)
    if (res.status === 101) return res
    const next = shard && tries < PLACEMENT_TRIES ? res.headers.get(SHARD_HEADER) : null
    if (next) {
      target = shard!(next)
      placed = next
      continue
    }
    if (placed && res.status === 503 && tries < PLACEMENT_TRIES) {
      await res.body?.cancel()
      full = placed
      placed = null
      target = object
      continue
    }
    const refusal = (await res.json()) as { code: ErrorCode; message: string }
    throw new AppError(refusal.code, refusal.message, undefined, res.status as ContentfulStatusCode)
  }
}
