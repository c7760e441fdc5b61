import { asc, eq, max, or } from 'drizzle-orm'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { radioCache } from '../db/schema'
import { AppError, notFound } from '../lib/errors'
import { iso } from '../lib/time'
import { RadioFeed, RadioFeedItem, type RadioFeedEntry } from '../schemas/radio'

type RadioRow = typeof radioCache.$inferSelect

const RADIO_TIMEOUT_MS = 10_000

/** Where an answer came from: the radio API just now, or D1's cache (stale when the API failed). */
export interface RadioSource {
  source: 'live' | 'cache'
  stale: boolean
  /** Why the cache is stale (the radio API's failure). */
  error?: string
}

/**
 * Reads the radio location API (`GET RADIO_LOCATION_API_URL`, HTTP Basic with the
 * RADIO_LOCATION_API_CREDENTIALS_*) and returns its entries; entries without a radio number are
 * skipped. Throws 503 when it is not configured or does not answer, 502 for an unusable answer.
 */
export async function fetchRadioFeed(config: Config): Promise<RadioFeedEntry[]> {
  if (!config.RADIO_LOCATION_API_URL)
    throw new AppError(
      'upstream_unavailable',
      'Radio location API is not configured (RADIO_LOCATION_API_URL)',
    )
  const headers: Record<string, string> = { accept: 'application/json' }
  const user = config.RADIO_LOCATION_API_CREDENTIALS_USERNAME
  if (user)
    headers.authorization = `Basic ${btoa(`${user}:${config.RADIO_LOCATION_API_CREDENTIALS_PASSWORD}`)}`
  let res: Response
  try {
    res = await fetch(config.RADIO_LOCATION_API_URL, {
      headers,
      signal: AbortSignal.timeout(RADIO_TIMEOUT_MS),
    })
  } catch (err) {
    throw new AppError('upstream_unavailable', 'Radio location API is unreachable', {
      reason: String(err).slice(0, 200),
    })
  }
  if (!res.ok) throw new AppError('upstream_error', `Radio location API answered ${res.status}`)
  const body = RadioFeed.safeParse(await res.json().catch(() => undefined))
  if (!body.success)
    throw new AppError('upstream_error', 'Radio location API answered something other than a list')
  const list = Array.isArray(body.data) ? body.data : Object.values(body.data)[0]!
  return list.flatMap((item) => {
    const entry = RadioFeedItem.safeParse(item)
    return entry.success ? [entry.data] : []
  })
}

/**
 * Makes D1's radio cache fresh: when it is older than RADIO_CACHE_SECONDS, reads the radio API
 * and upserts every entry. When the API fails, a filled cache is still served (stale); an empty
 * one makes the failure the answer.
 */
export async function refreshRadio(d: Db, config: Config, now = Date.now()): Promise<RadioSource> {
  const newest =
    (
      await d
        .select({ at: max(radioCache.fetchedAt) })
        .from(radioCache)
        .get()
    )?.at ?? null
  if (newest !== null && newest > now - config.RADIO_CACHE_SECONDS * 1000)
    return { source: 'cache', stale: false }
  let entries: RadioFeedEntry[]
  try {
    entries = await fetchRadioFeed(config)
  } catch (err) {
    if (newest === null) throw err
    return { source: 'cache', stale: true, error: (err as Error).message }
  }
  const writes = entries.map((e) => {
    const v = {
      deviceId: e.deviceId,
      name: e.name,
      lat: e.lat,
      lng: e.lng,
      payload: JSON.stringify(e),
      fetchedAt: now,
    }
    return d
      .insert(radioCache)
      .values({ radioNo: e.radioNo, ...v })
      .onConflictDoUpdate({ target: radioCache.radioNo, set: v })
  })
  for (let i = 0; i < writes.length; i += 100) {
    const [first, ...rest] = writes.slice(i, i + 100)
    await d.batch([first!, ...rest])
  }
  return { source: 'live', stale: false }
}

/** The message a gateway answer carries when it is served from a stale cache. */
export const staleNote = (s: RadioSource) =>
  s.stale ? `Served from cache: ${s.error ?? 'the radio API failed'}` : undefined

export const deviceView = (r: RadioRow) => ({
  id: r.deviceId ?? r.radioNo,
  radioNo: r.radioNo,
  deviceId: r.deviceId,
  name: r.name,
  fetchedAt: iso(r.fetchedAt)!,
})

export function locationView(r: RadioRow) {
  const at = r.payload ? (JSON.parse(r.payload) as RadioFeedEntry).at : null
  return {
    radioNo: r.radioNo,
    name: r.name,
    lat: r.lat,
    lng: r.lng,
    at: iso(at),
    fetchedAt: iso(r.fetchedAt)!,
  }
}

export const listRadios = (d: Db) => d.select().from(radioCache).orderBy(asc(radioCache.radioNo)).all()

/** A device by its device id or, failing that, its radio number. */
export async function getRadioDevice(d: Db, id: string) {
  const rows = await d
    .select()
    .from(radioCache)
    .where(or(eq(radioCache.deviceId, id), eq(radioCache.radioNo, id)))
    .all()
  const row = rows.find((r) => r.deviceId === id) ?? rows[0]
  if (!row) throw notFound(`Radio device ${id}`)
  return row
}

export async function getRadioByNo(d: Db, radioNo: string) {
  const row = await d.select().from(radioCache).where(eq(radioCache.radioNo, radioNo)).get()
  if (!row) throw notFound(`Radio ${radioNo}`)
  return row
}
