import { and, desc, eq, isNull, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client'
import { liveChatSessions } from '../db/schema'
import type { Env } from '../env'
import { AppError, forbidden, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import type { AuthIdentity } from '../lib/identity'
import { iso } from '../lib/time'
import type { LiveChatUserType } from '../schemas/livechat'
import { emitEvent } from './events'

export type LiveChatRow = typeof liveChatSessions.$inferSelect

/** The session's object: one per live-chat session. */
export const liveChatObject = (env: Env, id: string) => env.LIVE_CHAT.get(env.LIVE_CHAT.idFromName(id))

/** Agents and admins answer live chats; service clients and members do not. */
const isAgent = (who: AuthIdentity) => who.role === 'agent' || who.role === 'admin'

export function sessionView(row: LiveChatRow) {
  return {
    id: row.id,
    customer_id: row.customerId,
    agent_id: row.agentId ?? null,
    subject: row.subject ?? null,
    status: row.status,
    created_at: iso(row.createdAt),
    closed_at: iso(row.closedAt),
    ws_path: `/ws/${row.id}/{user_id}/{customer|agent}`,
  }
}

/** Opens a session with the caller as its customer. */
export async function createSession(
  env: Env,
  db: Db,
  who: AuthIdentity,
  subject?: string,
): Promise<LiveChatRow> {
  const row = await db
    .insert(liveChatSessions)
    .values({ id: newId(), customerId: who.id, subject: subject ?? null })
    .returning()
    .get()
  await liveChatObject(env, row.id).open(row.id, row.customerId)
  await emitEvent(env, { type: 'livechat.opened', data: sessionView(row) })
  return row
}

export async function getSession(db: Db, id: string): Promise<LiveChatRow> {
  const row = await db.select().from(liveChatSessions).where(eq(liveChatSessions.id, id)).get()
  if (!row) throw notFound('Live-chat session')
  return row
}

/** The customer, the assigned agent, and any agent while nobody is assigned, or an admin. */
export function requireParticipant(row: LiveChatRow, who: AuthIdentity): void {
  if (row.customerId === who.id || row.agentId === who.id || who.role === 'admin') return
  if (isAgent(who) && !row.agentId) return
  throw forbidden('Only the session’s customer and agent may see it')
}

/** Sessions an agent may pick up (all) or a customer's own. */
export async function listSessions(
  db: Db,
  who: AuthIdentity,
  status?: 'open' | 'closed',
): Promise<LiveChatRow[]> {
  const filters: SQL[] = []
  if (status) filters.push(eq(liveChatSessions.status, status))
  if (!isAgent(who)) filters.push(eq(liveChatSessions.customerId, who.id))
  return db
    .select()
    .from(liveChatSessions)
    .where(and(...filters))
    .orderBy(desc(liveChatSessions.createdAt))
    .limit(100)
    .all()
}

/**
 * Checks a socket's claim `/ws/:session_id/:user_id/:user_type` against its token: the path's user
 * is the token's, a customer is the session's customer, an agent is an agent (the first to connect
 * is assigned). Closed sessions refuse.
 */
export async function authorizeSocket(
  db: Db,
  row: LiveChatRow,
  who: AuthIdentity,
  userId: string,
  userType: LiveChatUserType,
): Promise<void> {
  if (userId !== who.id) throw forbidden('user_id does not match the token')
  if (row.status === 'closed') throw new AppError('conflict', 'This live-chat session is closed')
  if (userType === 'customer') {
    if (row.customerId !== who.id) throw forbidden('Only the session’s customer may connect as customer')
    return
  }
  if (!isAgent(who)) throw forbidden('user_type agent requires an agent or admin token')
  if (row.agentId && row.agentId !== who.id && who.role !== 'admin')
    throw forbidden('Another agent has this session')
  if (!row.agentId) {
    await db
      .update(liveChatSessions)
      .set({ agentId: who.id, updatedAt: Date.now() })
      .where(and(eq(liveChatSessions.id, row.id), isNull(liveChatSessions.agentId)))
  }
}

/** Closes a session (customer, assigned agent or admin): D1 first, then the object tells its sockets. */
export async function closeSession(
  env: Env,
  db: Db,
  row: LiveChatRow,
  who: AuthIdentity,
): Promise<LiveChatRow> {
  if (!(row.customerId === who.id || row.agentId === who.id || who.role === 'admin')) {
    throw forbidden('Only the session’s customer, its agent or an admin may close it')
  }
  const now = Date.now()
  const closed = await db
    .update(liveChatSessions)
    .set({ status: 'closed', closedAt: now, updatedAt: now })
    .where(and(eq(liveChatSessions.id, row.id), eq(liveChatSessions.status, 'open')))
    .returning()
    .get()
  await liveChatObject(env, row.id).close(`closed by ${who.id === row.customerId ? 'customer' : 'agent'}`)
  // Only the close that changed the session is told (a repeat close is not a second event).
  if (closed) await emitEvent(env, { type: 'livechat.closed', data: sessionView(closed) })
  return closed ?? row
}
