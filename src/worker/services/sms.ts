import { and, count, desc, eq, type SQL } from 'drizzle-orm'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { smsLogs } from '../db/schema'
import { newId } from '../lib/ids'
import { iso } from '../lib/time'

export type SmsLogRow = typeof smsLogs.$inferSelect

/** What a caller asks to send; `linkId`/`room` tie the message to a link for the history. */
export interface SmsRequest {
  phone: string
  message: string
  linkId?: string
  room?: string
  createdBy?: string
}

const PROVIDER_TIMEOUT_MS = 10_000

/**
 * Sends one SMS through the HTTP provider and records it in `sms_logs`.
 *
 * - `SMS_ENABLE=false` (the default): nothing leaves the Worker; the row says `logged`.
 * - Otherwise `POST SMS_API_URL` with JSON `{to, message}` and `Authorization: Bearer SMS_API_KEY`;
 *   a 2xx answer is `sent`, anything else (or no answer in 10 s) is `failed` with the reason.
 *
 * Never throws for a provider failure: callers decide whether a failed SMS fails their request.
 */
export async function sendSms(db: Db, config: Config, req: SmsRequest): Promise<SmsLogRow> {
  const outcome = config.SMS_ENABLE ? await deliver(config, req) : { status: 'logged' as const, error: null }
  return db
    .insert(smsLogs)
    .values({
      id: newId(),
      phone: req.phone,
      message: req.message,
      linkId: req.linkId ?? null,
      room: req.room ?? null,
      status: outcome.status,
      error: outcome.error,
      createdBy: req.createdBy ?? null,
    })
    .returning()
    .get()
}

async function deliver(
  config: Config,
  req: SmsRequest,
): Promise<{ status: 'sent' | 'failed'; error: string | null }> {
  if (!config.SMS_API_URL) return { status: 'failed', error: 'SMS_API_URL is not set' }
  try {
    const res = await fetch(config.SMS_API_URL, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(config.SMS_API_KEY ? { authorization: `Bearer ${config.SMS_API_KEY}` } : {}),
      },
      body: JSON.stringify({ to: req.phone, message: req.message }),
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    })
    if (res.ok) return { status: 'sent', error: null }
    const text = (await res.text().catch(() => '')).slice(0, 200)
    return { status: 'failed', error: `SMS provider answered ${res.status}${text ? `: ${text}` : ''}` }
  } catch (err) {
    return { status: 'failed', error: `SMS provider unreachable: ${String(err).slice(0, 200)}` }
  }
}

/** The SMS log as the gateway shows it. */
export function smsLogView(row: SmsLogRow) {
  return {
    id: row.id,
    phone: row.phone,
    message: row.message,
    linkID: row.linkId,
    room: row.room,
    status: row.status,
    error: row.error,
    createdBy: row.createdBy,
    createdAt: iso(row.createdAt),
  }
}

/** SMS history, newest first, filtered by phone, room or link. */
export async function smsHistory(
  db: Db,
  q: { phone?: string; room?: string; linkID?: string; page: number; limit: number },
) {
  const filters: SQL[] = []
  if (q.phone) filters.push(eq(smsLogs.phone, q.phone))
  if (q.room) filters.push(eq(smsLogs.room, q.room))
  if (q.linkID) filters.push(eq(smsLogs.linkId, q.linkID))
  const where = filters.length ? and(...filters) : undefined
  const [rows, [{ total }]] = await Promise.all([
    db
      .select()
      .from(smsLogs)
      .where(where)
      .orderBy(desc(smsLogs.createdAt), desc(smsLogs.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit)
      .all(),
    db.select({ total: count() }).from(smsLogs).where(where).all(),
  ])
  return { items: rows.map(smsLogView), total, page: q.page, limit: q.limit }
}
