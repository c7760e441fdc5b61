import { and, count, desc, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client'
import { refreshTokens, users } from '../db/schema'
import { conflict, notFound } from '../lib/errors'
import type { UserRole } from '../lib/identity'
import { iso } from '../lib/time'
import { nameOrEmailContains, profile, type UserRow } from './users'

/** A user as an admin sees them: the profile plus whether and since when they are disabled. */
export const adminUser = (u: UserRow) => ({
  ...profile(u),
  disabled: u.disabledAt !== null,
  disabled_at: iso(u.disabledAt),
})

/** Every user, newest first, filtered by role, disabled state and a name/email fragment. */
export async function listUsers(
  db: Db,
  q: { role?: UserRole; disabled?: 'true' | 'false'; q?: string; page: number; limit: number },
) {
  const filters: SQL[] = []
  if (q.role) filters.push(eq(users.role, q.role))
  if (q.disabled) filters.push(q.disabled === 'true' ? isNotNull(users.disabledAt) : isNull(users.disabledAt))
  if (q.q) filters.push(nameOrEmailContains(q.q))
  const where = filters.length ? and(...filters) : undefined
  const [rows, [{ total }]] = await Promise.all([
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(desc(users.createdAt), desc(users.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit)
      .all(),
    db.select({ total: count() }).from(users).where(where).all(),
  ])
  return { users: rows.map(adminUser), total, page: q.page, limit: q.limit }
}

/** An admin may not change their own role or disable themselves: the last admin could lock everyone out. */
function notSelf(adminId: string, userId: string, what: string) {
  if (adminId === userId) throw conflict(`You cannot ${what} yourself; ask another admin`)
}

/**
 * Sets a user's role. It reaches their access tokens at the next refresh (refresh reads the role
 * from D1); tokens already issued keep the old role until they expire (ACCESS_TOKEN_TTL).
 */
export async function setRole(db: Db, adminId: string, userId: string, role: UserRole): Promise<UserRow> {
  notSelf(adminId, userId, 'change the role of')
  const row = await db
    .update(users)
    .set({ role, updatedAt: Date.now() })
    .where(eq(users.id, userId))
    .returning()
    .get()
  if (!row) throw notFound('User')
  return row
}

/**
 * Disables a user (idempotent: the first time is kept) and revokes every refresh token they hold,
 * in one D1 batch; login and refresh are refused from then on. Enabling clears the mark only:
 * revoked sessions stay revoked, so the user signs in again.
 */
export async function setDisabled(db: Db, adminId: string, userId: string, disabled: boolean) {
  notSelf(adminId, userId, disabled ? 'disable' : 'enable')
  const now = Date.now()
  if (!disabled) {
    const row = await db
      .update(users)
      .set({ disabledAt: null, updatedAt: now })
      .where(eq(users.id, userId))
      .returning()
      .get()
    if (!row) throw notFound('User')
    return row
  }
  const [updated] = await db.batch([
    db
      .update(users)
      .set({ disabledAt: sql`coalesce(${users.disabledAt}, ${now})`, updatedAt: now })
      .where(eq(users.id, userId))
      .returning(),
    db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt))),
  ])
  if (!updated[0]) throw notFound('User')
  return updated[0]
}
