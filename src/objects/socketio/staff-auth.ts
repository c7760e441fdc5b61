import { AppError } from '../../worker/lib/errors'
import { isStaff } from '../../worker/lib/identity'
import { verifyToken } from '../../worker/lib/jwt'
import type { NsContext } from './namespace'

/** Verifies `auth.token` (or query `token`) as a Switchboard staff token; answers its small identity. */
export async function requireStaff(
  c: NsContext,
  auth: Record<string, unknown>,
  query: Record<string, string>,
): Promise<{ id: string; n: string }> {
  const token = auth.token ?? query.token
  if (typeof token !== 'string' || !token) throw new AppError('unauthorized', 'auth.token is required')
  const who = await verifyToken(token, c.config.JWT_SECRET)
  if (!isStaff(who.role)) throw new AppError('forbidden', `${c.nsp} requires a staff or service token`)
  return { id: who.id, n: who.name.slice(0, 120) }
}
