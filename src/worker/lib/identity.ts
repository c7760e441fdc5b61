import { forbidden } from './errors'

/** Roles of SPEC §3, plus `service` for API-key clients (seed 000 `/auth/create`). */
export const USER_ROLES = ['admin', 'agent', 'mentor', 'member'] as const
export type UserRole = (typeof USER_ROLES)[number]
export type Role = UserRole | 'service'

/** Who is calling, as the bearer middleware resolved it. Small enough for a WebSocket attachment. */
export interface AuthIdentity {
  /** User id, or service client id for `role: 'service'`. */
  id: string
  role: Role
  name: string
  email?: string
}

/** Staff may operate the conference gateway (seed 000): admins, agents and service clients. */
export const isStaff = (role: Role) => role === 'admin' || role === 'agent' || role === 'service'

/** The roles `isStaff` accepts, for `requireAuth({ roles: STAFF_ROLES })`. */
export const STAFF_ROLES = ['admin', 'agent', 'service'] as const satisfies readonly Role[]

/** What a service token is told on routes that serve user accounts only. */
export const USER_ACCOUNT_REQUIRED =
  'This route needs a user account: sign in with POST /api/v1/auth/login (service tokens from /auth/create are not accepted here)'

/**
 * Refuses a service client (403) where a route serves user accounts only: a service id is not a
 * `users` row, so it can own no chat, profile or session.
 */
export function requireUserAccount(who: { role: Role }): void {
  if (who.role === 'service') throw forbidden(USER_ACCOUNT_REQUIRED)
}
