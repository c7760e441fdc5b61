import { and, count, desc, eq, gt, isNull, lte, or, sql, type SQL } from 'drizzle-orm'
import type { Config } from '../config'
import type { Db } from '../db/client'
import type { Env } from '../env'
import { links } from '../db/schema'
import { AppError, notFound } from '../lib/errors'
import { randomString } from '../lib/ids'
import { iso } from '../lib/time'
import { emitEvent } from './events'
import { emitToRoom } from './realtime'
import { defaultDomain, domainFor, findService, listServices } from './service-settings'
import { sendSms, type SmsLogRow } from './sms'
import { log } from '../lib/log'

export type LinkRow = typeof links.$inferSelect
export type LinkType = 'conference' | 'hls' | 'car'

/** Link ids: LINK_ID_LENGTH characters of CUSTOM_CHARSET (50 letters by default ≈ 56 bits). */
export const LINK_ID_LENGTH = 10

/** Where each kind of link points on the service's domain. */
const PATH_OF: Record<LinkType, string> = { conference: 'join', hls: 'hls', car: 'car' }

const DEFAULT_SMS_TEMPLATE = '{name}: please open {url} to join the call'

/** Where links of `type` live on a domain: `<domain>/<join|hls|car>`. */
export const linkBase = (domain: string, type: string) => `${domain}/${PATH_OF[type as LinkType] ?? 'join'}`

/** The share URL of a link: `<service domain or API_URL>/<join|hls|car>/<id>`. */
export const shareUrl = (base: string, row: Pick<LinkRow, 'id' | 'type'>) =>
  `${linkBase(base, row.type)}/${row.id}`

/** The gateway's view of a link (seed 000 field names). */
export function linkView(row: LinkRow, base: string, now = Date.now()) {
  return {
    linkID: row.id,
    url: shareUrl(base, row),
    room: row.room,
    type: row.type as LinkType,
    userType: row.userType,
    userName: row.userName,
    phone: row.phone,
    service: row.service,
    oneTime: row.oneTime,
    used: row.usedAt !== null,
    usedAt: iso(row.usedAt),
    enabled: row.enabled,
    expired: row.expiresAt <= now,
    lat: row.lat,
    lng: row.lng,
    accuracy: row.accuracy,
    connectedAt: iso(row.connectedAt),
    expiresAt: iso(row.expiresAt),
    createdAt: iso(row.createdAt),
  }
}

/** One link with its share URL resolved against its service's domain. */
export async function viewLink(db: Db, config: Config, row: LinkRow) {
  return linkView(row, (await domainFor(db, config, row.service)).domain)
}

export interface CreateLinkInput {
  room: string
  userType: string
  userName?: string
  phone?: string
  service?: number
  oneTime?: boolean
  /** Seconds; default ROOM_DAY_DEFAULT_TIMEOUT. */
  expiresIn?: number
  type?: LinkType
}

/**
 * Creates a link (id from CUSTOM_CHARSET) and, when a phone number is given, texts its share URL
 * through the SMS adapter using the service's template. A failed SMS does not undo the link: the
 * result carries the SMS outcome.
 */
export async function createLink(
  db: Db,
  config: Config,
  input: CreateLinkInput,
  createdBy?: string,
): Promise<{ row: LinkRow; base: string; sms: SmsLogRow | null }> {
  const service = input.service ?? 0
  const expiresAt = Date.now() + (input.expiresIn ?? config.ROOM_DAY_DEFAULT_TIMEOUT) * 1000
  let row: LinkRow | undefined
  for (let attempt = 0; !row && attempt < 5; attempt++) {
    row = await db
      .insert(links)
      .values({
        id: randomString(LINK_ID_LENGTH, config.CUSTOM_CHARSET),
        room: input.room,
        userType: input.userType,
        userName: input.userName ?? null,
        phone: input.phone ?? null,
        service,
        type: input.type ?? 'conference',
        oneTime: input.oneTime ?? false,
        expiresAt,
        createdBy: createdBy ?? null,
      })
      .onConflictDoNothing()
      .returning()
      .get()
  }
  if (!row) throw new AppError('internal_error', 'Could not allocate a link id')
  const settings = await findService(db, service)
  const base = settings?.domain ?? defaultDomain(config)
  const url = shareUrl(base, row)
  let sms: SmsLogRow | null = null
  if (input.phone) {
    const message = (settings?.smsTemplate || DEFAULT_SMS_TEMPLATE)
      .replaceAll('{url}', url)
      .replaceAll('{room}', row.room)
      .replaceAll('{name}', settings?.name ?? 'Switchboard')
    sms = await sendSms(db, config, {
      phone: input.phone,
      message,
      linkId: row.id,
      room: row.room,
      createdBy,
    })
  }
  return { row, base, sms }
}

export const findLink = (db: Db, id: string) => db.select().from(links).where(eq(links.id, id)).get()

/** A link whatever its state (staff reads), or 404. */
export async function getLink(db: Db, id: string): Promise<LinkRow> {
  const row = await findLink(db, id)
  if (!row) throw notFound('Link')
  return row
}

const gone = (message: string, linkID: string) => new AppError('conflict', message, { linkID }, 410)

/** Why a link cannot be used now, as the error the caller sees (404, or 410 with the reason). */
export function refusal(row: LinkRow | undefined, id: string, now: number): AppError {
  if (!row) return notFound('Link')
  if (!row.enabled) return gone('Link is disabled', id)
  if (row.expiresAt <= now) return gone('Link has expired', id)
  return gone('Link has already been used', id)
}

/**
 * Opens a link as its holder does: it must be enabled and unexpired, and a one-time link must be
 * unused. Marks it used (first time) and connected, in ONE conditional UPDATE, so of two racing
 * opens of a one-time link exactly one succeeds; the other gets 410.
 */
export async function consumeLink(db: Db, id: string, now = Date.now()): Promise<LinkRow> {
  const row = await db
    .update(links)
    .set({ usedAt: sql`coalesce(${links.usedAt}, ${now})`, connectedAt: now })
    .where(
      and(
        eq(links.id, id),
        eq(links.enabled, true),
        gt(links.expiresAt, now),
        or(eq(links.oneTime, false), isNull(links.usedAt)),
      ),
    )
    .returning()
    .get()
  if (row) return row
  throw refusal(await findLink(db, id), id, now)
}

/** Opens a link for its holder (`consumeLink`) and tells webhook endpoints (`link.opened`): its view. */
export async function openLink(env: Env, db: Db, config: Config, id: string) {
  const row = await consumeLink(db, id)
  const view = await viewLink(db, config, row)
  await emitEvent(env, { type: 'link.opened', service: row.service, data: view })
  return view
}

/** A link that exists, is enabled and unexpired (a consumed one-time link still qualifies); else 404/410. */
export async function activeLink(db: Db, id: string, now: number): Promise<LinkRow> {
  const row = await findLink(db, id)
  if (!row || !row.enabled || row.expiresAt <= now) throw refusal(row, id, now)
  return row
}

/** Called with each stored position (the routes pass `announcePosition`). */
export type PositionListener = (row: LinkRow) => Promise<void>

/**
 * Tells the room's Socket.IO namespace `/{room}` about a link holder's position (event
 * `position`, as room members' own positions are relayed). Best effort: a failure is logged and
 * never undoes the stored position.
 */
export async function announcePosition(env: Env, row: LinkRow): Promise<void> {
  const payload = {
    lat: row.lat,
    lng: row.lng,
    accuracy: row.accuracy,
    identity: `link:${row.id}`,
    name: row.userName ?? row.userType,
    userType: row.userType,
    linkID: row.id,
    source: 'link',
  }
  await emitToRoom(env, row.room, 'position', payload).catch((err: unknown) =>
    log('error', { msg: 'position not announced', room: row.room, error: String(err) }),
  )
}

/** Stores the link holder's position (seed 000 updateLatLngLinkDetail). */
export async function updateLatLng(
  db: Db,
  p: { linkID: string; lat: number; lng: number; accuracy?: number },
  onStored?: PositionListener,
  now = Date.now(),
): Promise<LinkRow> {
  await activeLink(db, p.linkID, now)
  const row = await db
    .update(links)
    .set({ lat: p.lat, lng: p.lng, accuracy: p.accuracy ?? null })
    .where(and(eq(links.id, p.linkID), eq(links.enabled, true)))
    .returning()
    .get()
  if (!row) throw refusal(await findLink(db, p.linkID), p.linkID, now)
  await onStored?.(row)
  return row
}

/** Several positions at once; each is applied independently and reported. */
export async function updateManyLatLng(
  db: Db,
  positions: { linkID: string; lat: number; lng: number; accuracy?: number }[],
  onStored?: PositionListener,
) {
  const results: { linkID: string; updated: boolean; reason?: string }[] = []
  for (const p of positions) {
    try {
      await updateLatLng(db, p, onStored)
      results.push({ linkID: p.linkID, updated: true })
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      results.push({ linkID: p.linkID, updated: false, reason: err.message })
    }
  }
  return { updated: results.filter((r) => r.updated).length, results }
}

/** Links, newest first, with share URLs; filtered by room, type, enabled. */
export async function listLinks(
  db: Db,
  config: Config,
  q: { room?: string; type?: LinkType; enabled?: 'true' | 'false'; page: number; limit: number },
) {
  const filters: SQL[] = []
  if (q.room) filters.push(eq(links.room, q.room))
  if (q.type) filters.push(eq(links.type, q.type))
  if (q.enabled) filters.push(eq(links.enabled, q.enabled === 'true'))
  const where = filters.length ? and(...filters) : undefined
  const [rows, [{ total }], services] = await Promise.all([
    db
      .select()
      .from(links)
      .where(where)
      .orderBy(desc(links.createdAt), desc(links.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit)
      .all(),
    db.select({ total: count() }).from(links).where(where).all(),
    listServices(db),
  ])
  const domains = new Map(services.map((s) => [s.service, s.domain]))
  const fallback = defaultDomain(config)
  const now = Date.now()
  return {
    items: rows.map((r) => linkView(r, domains.get(r.service) ?? fallback, now)),
    total,
    page: q.page,
    limit: q.limit,
  }
}

/** The newest usable link of a room (optionally of one user type), for sharing again. */
export async function latestUsableLink(db: Db, room: string, userType?: string, now = Date.now()) {
  const row = await db
    .select()
    .from(links)
    .where(
      and(
        eq(links.room, room),
        userType ? eq(links.userType, userType) : undefined,
        eq(links.enabled, true),
        gt(links.expiresAt, now),
        or(eq(links.oneTime, false), isNull(links.usedAt)),
      ),
    )
    .orderBy(desc(links.createdAt), desc(links.id))
    .get()
  if (!row) throw notFound(`A usable link for room ${room}`)
  return row
}

/**
 * Seed 000 `GetLinkDetail(linkID = "", room, userType)`: the newest link of a room (of one user
 * type when given), whatever its state — a staff read, never consuming. 404 when the room has none.
 */
export async function latestLink(db: Db, room: string, userType?: string): Promise<LinkRow> {
  const row = await db
    .select()
    .from(links)
    .where(and(eq(links.room, room), userType ? eq(links.userType, userType) : undefined))
    .orderBy(desc(links.createdAt), desc(links.id))
    .get()
  if (!row) throw notFound(`A link for room ${room}${userType ? ` and userType ${userType}` : ''}`)
  return row
}

/**
 * Cron (seed 000 autoLinkExpiredClose): disables every enabled link past its expiry. One
 * conditional UPDATE, so it is idempotent and two concurrent runs disable each link once.
 */
export async function expireLinks(db: Db, now = Date.now()): Promise<number> {
  const rows = await db
    .update(links)
    .set({ enabled: false })
    .where(and(eq(links.enabled, true), lte(links.expiresAt, now)))
    .returning({ id: links.id })
    .all()
  return rows.length
}
