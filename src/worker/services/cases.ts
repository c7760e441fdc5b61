import { and, count, desc, eq, inArray, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client'
import { cases } from '../db/schema'
import type { Env } from '../env'
import { notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { iso } from '../lib/time'
import { emitEvent } from './events'
import { serviceOfRoom } from './rooms'
import { emitToQueue } from './realtime'

export type CaseRow = typeof cases.$inferSelect

/** Statuses that count as waiting in the case queue (`/queue`). */
export const WAITING_STATUSES = ['new', 'queued', 'waiting'] as const

export function caseView(row: CaseRow) {
  return {
    id: row.id,
    room: row.room ?? null,
    title: row.title ?? null,
    detail: row.detail ?? null,
    type: row.type ?? null,
    status: row.status,
    caller_phone: row.callerPhone ?? null,
    device: row.device ?? null,
    lat: row.lat ?? null,
    lng: row.lng ?? null,
    created_by: row.createdBy ?? null,
    assigned_to: row.assignedTo ?? null,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  }
}

/** The waiting cases, oldest first: what `/queue` sockets see. */
export async function waitingQueue(db: Db, limit = 200) {
  const rows = await db
    .select()
    .from(cases)
    .where(inArray(cases.status, [...WAITING_STATUSES]))
    .orderBy(cases.createdAt)
    .limit(limit)
    .all()
  return { cases: rows.map(caseView), count: rows.length }
}

/** Tells `/queue` the new queue, and `/newqueue` the new case. */
async function announce(env: Env, db: Db, created?: ReturnType<typeof caseView>) {
  const jobs: Promise<unknown>[] = [emitToQueue(env, 'queue', 'queue-update', await waitingQueue(db))]
  if (created) jobs.push(emitToQueue(env, 'newqueue', 'newcase', created))
  await Promise.all(jobs)
}

export async function createCase(
  env: Env,
  db: Db,
  createdBy: string,
  input: {
    room?: string
    title: string
    detail?: string
    type?: string
    status: string
    caller_phone?: string
    device?: string
    lat?: number
    lng?: number
  },
) {
  const row = await db
    .insert(cases)
    .values({
      id: newId(),
      room: input.room ?? null,
      title: input.title,
      detail: input.detail ?? null,
      type: input.type ?? null,
      status: input.status,
      callerPhone: input.caller_phone ?? null,
      device: input.device ?? null,
      lat: input.lat ?? null,
      lng: input.lng ?? null,
      createdBy,
    })
    .returning()
    .get()
  const view = caseView(row)
  await announce(env, db, view)
  await emitEvent(env, {
    type: 'case.created',
    service: row.room ? await serviceOfRoom(db, row.room) : null,
    data: view,
  })
  return view
}

export async function getCase(db: Db, id: string): Promise<CaseRow> {
  const row = await db.select().from(cases).where(eq(cases.id, id)).get()
  if (!row) throw notFound('Case')
  return row
}

export async function updateCase(
  env: Env,
  db: Db,
  patch: {
    id: string
    room?: string | null
    title?: string
    detail?: string | null
    type?: string | null
    status?: string
    assigned_to?: string | null
    lat?: number | null
    lng?: number | null
  },
) {
  await getCase(db, patch.id)
  const { id, assigned_to, ...rest } = patch
  const fields = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined))
  const row = await db
    .update(cases)
    .set({
      ...fields,
      ...(assigned_to === undefined ? {} : { assignedTo: assigned_to }),
      updatedAt: Date.now(),
    })
    .where(eq(cases.id, id))
    .returning()
    .get()
  await announce(env, db)
  return caseView(row!)
}

/** Cases newest first, filtered, paged: `{items, page, limit, total}`. */
export async function caseHistory(
  db: Db,
  q: { status?: string; room?: string; page: number; limit: number },
) {
  const where: SQL[] = []
  if (q.status) where.push(eq(cases.status, q.status))
  if (q.room) where.push(eq(cases.room, q.room))
  const filter = and(...where)
  const [rows, total] = await Promise.all([
    db
      .select()
      .from(cases)
      .where(filter)
      .orderBy(desc(cases.createdAt), desc(cases.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit)
      .all(),
    db.select({ n: count() }).from(cases).where(filter).get(),
  ])
  return { items: rows.map(caseView), page: q.page, limit: q.limit, total: total?.n ?? 0 }
}
