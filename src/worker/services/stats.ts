import { sql } from 'drizzle-orm'
import type { Db } from '../db/client'
import { dailyStats } from '../db/schema'
import { badRequest } from '../lib/errors'

const DAY_MS = 86_400_000

/** Inclusive UTC day range → [start ms, end ms). Defaults to the last 30 days; at most 366 days. */
export function range(from?: string, to?: string): { from: string; to: string; start: number; end: number } {
  const today = new Date().toISOString().slice(0, 10)
  const toDay = to ?? today
  const fromDay = from ?? new Date(Date.parse(toDay) - 29 * DAY_MS).toISOString().slice(0, 10)
  const start = Date.parse(`${fromDay}T00:00:00Z`)
  const end = Date.parse(`${toDay}T00:00:00Z`) + DAY_MS
  if (Number.isNaN(start) || Number.isNaN(end)) throw badRequest('Invalid date')
  if (end - start > 366 * DAY_MS)
    throw badRequest('A range may span at most 366 days', {
      fields: [{ path: 'from', message: 'range too long' }],
    })
  return { from: fromDay, to: toDay, start, end }
}

type Row = { k: string | null; n: number }

/** `SELECT <key>, count(*) FROM <table> WHERE created_at in range GROUP BY <key>` as `{key: n}`. */
async function countBy(
  db: Db,
  table: string,
  key: string,
  start: number,
  end: number,
): Promise<Record<string, number>> {
  const rows = await db.all<Row>(
    sql.raw(
      `SELECT ${key} AS k, count(*) AS n FROM ${table} WHERE created_at >= ${start} AND created_at < ${end} GROUP BY ${key}`,
    ),
  )
  return Object.fromEntries(rows.map((r) => [r.k ?? 'unknown', r.n]))
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)

/** Seed 000 `/stats/summary`: rooms and cases by status, participants, recordings, links, SMS by status. */
export async function summary(db: Db, from?: string, to?: string) {
  const r = range(from, to)
  const [rooms, cases, participants, recordings, links, sms] = await Promise.all([
    countBy(db, 'conference_rooms', 'status', r.start, r.end),
    countBy(db, 'cases', 'status', r.start, r.end),
    countBy(db, 'room_users', "'all'", r.start, r.end),
    countBy(db, 'recordings', "'all'", r.start, r.end),
    countBy(db, 'links', "'all'", r.start, r.end),
    countBy(db, 'sms_logs', 'status', r.start, r.end),
  ])
  return {
    from: r.from,
    to: r.to,
    rooms: { total: total(rooms), ...rooms },
    cases: { total: total(cases), ...cases },
    participants: total(participants),
    recordings: total(recordings),
    links: total(links),
    sms,
  }
}

/** The breakdowns behind `/stats/device`, `/stats/type`, `/stats/user`, `/stats/case`. */
export const breakdowns = {
  device: [
    ['participants', 'room_users', "coalesce(device, 'unknown')"],
    ['usage', 'usage_logs', "coalesce(device, 'unknown')"],
  ],
  type: [
    ['rooms', 'conference_rooms', 'type'],
    ['cases', 'cases', "coalesce(type, 'unknown')"],
  ],
  user: [
    ['participants', 'room_users', 'user_type'],
    ['accounts', 'users', 'role'],
  ],
  case: [
    ['by_status', 'cases', 'status'],
    ['by_day', 'cases', "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')"],
  ],
} as const

export async function breakdown(db: Db, which: keyof typeof breakdowns, from?: string, to?: string) {
  const r = range(from, to)
  const parts = await Promise.all(
    breakdowns[which].map(([, table, key]) => countBy(db, table, key, r.start, r.end)),
  )
  return {
    from: r.from,
    to: r.to,
    ...Object.fromEntries(breakdowns[which].map(([name], i) => [name, parts[i]])),
  }
}

/** Metrics written to `daily_stats` for one day, each by a dimension. */
const DAILY: [metric: string, table: string, dimension: string][] = [
  ['rooms_created', 'conference_rooms', 'type'],
  ['cases_created', 'cases', "coalesce(type, '')"],
  ['participants', 'room_users', 'user_type'],
  ['recordings', 'recordings', 'kind'],
  ['sms', 'sms_logs', 'status'],
  ['links_created', 'links', 'user_type'],
]

/**
 * Computes one UTC day's metrics into `daily_stats`, replacing that day's earlier figures
 * (idempotent: running it twice, or at once, leaves the same rows). Answers the rows.
 */
export async function generateDay(db: Db, day: string) {
  const { start, end } = range(day, day)
  const rows = (
    await Promise.all(
      DAILY.map(async ([metric, table, dim]) =>
        Object.entries(await countBy(db, table, dim, start, end)).map(([dimension, value]) => ({
          day,
          metric,
          dimension,
          value,
        })),
      ),
    )
  ).flat()
  const write = [
    db.delete(dailyStats).where(sql`${dailyStats.day} = ${day}`),
    ...rows.map((row) => db.insert(dailyStats).values(row)),
  ]
  await db.batch(write as [(typeof write)[0], ...(typeof write)[number][]])
  return rows
}

/** Generates every day of a range (at most 31). */
export async function generateRange(db: Db, from?: string, to?: string) {
  const r = range(from ?? to, to ?? from)
  const days = Math.round((r.end - r.start) / DAY_MS)
  if (days > 31)
    throw badRequest('Generate at most 31 days at once', {
      fields: [{ path: 'from', message: 'range too long' }],
    })
  const out = []
  for (let i = 0; i < days; i++)
    out.push(...(await generateDay(db, new Date(r.start + i * DAY_MS).toISOString().slice(0, 10))))
  return out
}

export const yesterday = () => new Date(Date.now() - DAY_MS).toISOString().slice(0, 10)
