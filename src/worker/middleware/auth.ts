import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'
import { forbidden, unauthorized } from '../lib/errors'
import { requireUserAccount, type Role, type UserRole } from '../lib/identity'
import { verifyToken } from '../lib/jwt'

/** Reads `Authorization: Bearer <jwt>` (or a bare token, as seed 000's frontends send). */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const token = header.replace(/^Bearer\s+/i, '').trim()
  return token || undefined
}

/**
 * Requires a valid Switchboard token (401 otherwise) and, when `roles` is given, one of those
 * roles (403 otherwise). Sets `c.var.identity`.
 */
export function requireAuth(options: { roles?: readonly Role[] } = {}): MiddlewareHandler<AppEnv> {
  const roles = options.roles
  if (roles && roles.length === 0) throw new Error('requireAuth: roles must not be empty when given')
  return async function requireAuth(c, next) {
    const token = bearerToken(c.req.header('authorization'))
    if (!token) throw unauthorized()
    const identity = await verifyToken(token, c.var.config.JWT_SECRET)
    if (roles && !roles.includes(identity.role)) throw forbidden(`Requires role: ${roles.join(' or ')}`)
    c.set('identity', { id: identity.id, role: identity.role, name: identity.name, email: identity.email })
    await next()
  }
}

/**
 * `requireAuth` for routes that serve user accounts only: a service token (seed 000
 * `/auth/create`) gets 403 saying a user account is required. `roles` narrows further.
 */
export function requireUser(options: { roles?: readonly UserRole[] } = {}): MiddlewareHandler<AppEnv> {
  const auth = requireAuth(options)
  return async function requireUser(c, next) {
    await auth(c, async () => {
      requireUserAccount(c.var.identity!)
      await next()
    })
  }
}

/**
 * Sets `c.var.identity` when a valid Switchboard token is present and carries on without one
 * (a missing or invalid token is not an error): for public routes that behave differently for staff.
 */
export function optionalAuth(): MiddlewareHandler<AppEnv> {
  return async function optionalAuth(c, next) {
    const token = bearerToken(c.req.header('authorization'))
    if (token) {
      const identity = await verifyToken(token, c.var.config.JWT_SECRET).catch(() => undefined)
      if (identity)
        c.set('identity', {
          id: identity.id,
          role: identity.role,
          name: identity.name,
          email: identity.email,
        })
    }
    await next()
  }
}
