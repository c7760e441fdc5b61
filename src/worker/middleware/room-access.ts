import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'
import { AppError, forbidden, unauthorized } from '../lib/errors'
import { isStaff } from '../lib/identity'
import { verifyToken } from '../lib/jwt'
import { verifyLiveKitToken } from '../lib/livekit'
import { bearerToken } from './auth'

/**
 * For read-only routes about one room (`?room=`): lets in staff (admin, agent, service — their
 * Switchboard token) and the room's own participants (the LiveKit token `/user/generate` gave
 * them, for that room). Other Switchboard users get 403, a participant of another room 403,
 * anything else 401. Staff identity lands in `c.var.identity`.
 */
export function staffOrParticipant(): MiddlewareHandler<AppEnv> {
  return async function staffOrParticipant(c, next) {
    const token = bearerToken(c.req.header('authorization'))
    if (!token) throw unauthorized()
    const room = c.req.query('room')
    let identity
    try {
      identity = await verifyToken(token, c.var.config.JWT_SECRET)
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      const participant = await verifyLiveKitToken(c.var.config, token).catch(() => {
        throw err
      })
      if (participant.room !== room) throw forbidden(`This token is for room ${participant.room}`)
      return next()
    }
    if (!isStaff(identity.role)) throw forbidden('Requires role: admin or agent or service')
    c.set('identity', { id: identity.id, role: identity.role, name: identity.name, email: identity.email })
    await next()
  }
}
