import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { withIdentity } from '../../objects/channel'
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

/**
 * Hands the upgrade to the object that will hold the socket, with the verified identity. A
 * refusal by the object (room full, ended, …) is answered in the API's envelope with its status.
 */
export async function forwardUpgrade(
  object: { fetch(request: Request): Promise<Response> },
  request: Request,
  identity: AuthIdentity,
): Promise<Response> {
  const res = await object.fetch(withIdentity(request, identity))
  if (res.status === 101) return res
  const refusal = (await res.json()) as { code: ErrorCode; message: string }
  throw new AppError(refusal.code, refusal.message, undefined, res.status as ContentfulStatusCode)
}
