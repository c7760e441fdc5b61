import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import {
  STALE_AFTER_MS,
  type ConnectionCount,
  type ObjectReport,
  type Protocol,
  type RegistryReport,
} from './report'
import { log } from '../lib/log'

/** Minute buckets kept for the per-minute rates. */
const KEEP_MINUTES = 60
/** Analytics Engine takes at most this many data points per invocation; more are skipped. */
const MAX_DATA_POINTS = 25

/** What the registry holds, aggregated: the body of `GET /api/v1/admin/stats`. */
export interface MetricsSnapshot {
  generated_at: string
  objects_reporting: number
  rooms: Record<string, number>
  connections: ConnectionCount[]
  connections_total: number
  /** Messages and errors in the last complete minute, by room kind. */
  messages_per_minute: Record<string, number>
  errors_per_minute: Record<string, number>
  /** Since the registry's storage began: `{name: {label: n}}` (messages, errors, the Worker's counters). */
  totals: Record<string, Record<string, number>>
}

/**
 * The metrics registry: one object (`metricsRegistry(env)`) that room objects and Worker isolates
 * report to in batches. It keeps each object's latest gauges (rooms, connections by protocol and
 * transport), per-minute message and error counts by kind for an hour, and running totals, in its
 * SQLite storage; and writes each report to Workers Analytics Engine (`METRICS`) for history.
 */
export class MetricsRegistry extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS objects (object TEXT PRIMARY KEY, kind TEXT NOT NULL, rooms INTEGER NOT NULL, connections TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS minutes (minute INTEGER NOT NULL, kind TEXT NOT NULL, messages INTEGER NOT NULL, errors INTEGER NOT NULL, PRIMARY KEY (minute, kind));
      CREATE TABLE IF NOT EXISTS totals (name TEXT NOT NULL, label TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (name, label));
    `)
  }

  /** Takes a batch of object reports and/or one isolate's counters. */
  report(batch: RegistryReport): void {
    const sql = this.ctx.storage.sql
    const points: AnalyticsEngineDataPoint[] = []
    for (const r of batch.objects ?? []) {
      const open = r.connections.reduce((n, c) => n + c.count, 0)
      if (r.rooms === 0 && open === 0) sql.exec('DELETE FROM objects WHERE object = ?', r.object)
      else
        sql.exec(
          'INSERT OR REPLACE INTO objects (object, kind, rooms, connections, at) VALUES (?, ?, ?, ?, ?)',
          r.object,
          r.kind,
          r.rooms,
          JSON.stringify(r.connections),
          r.at,
        )
      if (r.messages > 0 || r.errors > 0) {
        sql.exec(
          `INSERT INTO minutes (minute, kind, messages, errors) VALUES (?, ?, ?, ?)
           ON CONFLICT (minute, kind) DO UPDATE SET messages = messages + excluded.messages, errors = errors + excluded.errors`,
          Math.floor(r.at / 60_000),
          r.kind,
          r.messages,
          r.errors,
        )
        this.#add('messages', `kind=${r.kind}`, r.messages)
        this.#add('errors', `kind=${r.kind}`, r.errors)
      }
      points.push({
        indexes: [r.kind],
        blobs: ['object', r.kind, r.object],
        doubles: [r.rooms, open, r.messages, r.errors],
      })
    }
    for (const [name, labels] of Object.entries(batch.worker ?? {}))
      for (const [label, n] of Object.entries(labels)) {
        this.#add(name, label, n)
        points.push({ indexes: ['worker'], blobs: ['worker', name, label], doubles: [n] })
      }
    sql.exec('DELETE FROM minutes WHERE minute < ?', Math.floor(Date.now() / 60_000) - KEEP_MINUTES)
    const dataset = this.env.METRICS
    if (dataset) for (const p of points.slice(0, MAX_DATA_POINTS)) dataset.writeDataPoint(p)
  }

  /** The aggregate: gauges over objects that reported within STALE_AFTER_MS, rates of the last complete minute, totals. */
  snapshot(now = Date.now()): MetricsSnapshot {
    const sql = this.ctx.storage.sql
    sql.exec('DELETE FROM objects WHERE at < ?', now - STALE_AFTER_MS)
    const rooms: Record<string, number> = {}
    const conns = new Map<string, ConnectionCount>()
    let objects = 0
    for (const row of sql.exec<{ kind: string; rooms: number; connections: string }>(
      'SELECT kind, rooms, connections FROM objects',
    )) {
      objects++
      rooms[row.kind] = (rooms[row.kind] ?? 0) + row.rooms
      for (const c of JSON.parse(row.connections) as ConnectionCount[]) {
        const k = `${c.protocol}/${c.transport}`
        const sum = conns.get(k) ?? { protocol: c.protocol, transport: c.transport, count: 0 }
        sum.count += c.count
        conns.set(k, sum)
      }
    }
    const messages: Record<string, number> = {}
    const errors: Record<string, number> = {}
    for (const row of sql.exec<{ kind: string; messages: number; errors: number }>(
      'SELECT kind, messages, errors FROM minutes WHERE minute = ?',
      Math.floor(now / 60_000) - 1,
    )) {
      messages[row.kind] = row.messages
      errors[row.kind] = row.errors
    }
    const totals: MetricsSnapshot['totals'] = {}
    for (const row of sql.exec<{ name: string; label: string; value: number }>(
      'SELECT name, label, value FROM totals ORDER BY name, label',
    ))
      (totals[row.name] ??= {})[row.label] = row.value
    const connections = [...conns.values()].sort((a, b) =>
      `${a.protocol}/${a.transport}`.localeCompare(`${b.protocol}/${b.transport}`),
    )
    return {
      generated_at: new Date(now).toISOString(),
      objects_reporting: objects,
      rooms,
      connections,
      connections_total: connections.reduce((n, c) => n + c.count, 0),
      messages_per_minute: messages,
      errors_per_minute: errors,
      totals,
    }
  }

  /**
   * The objects (`kind:name`, as they report) whose latest current report holds connections of
   * `protocol`: where the Socket.IO admin UI looks for sockets.
   */
  holding(protocol: Protocol, now = Date.now()): string[] {
    return this.ctx.storage.sql
      .exec<{ object: string; connections: string }>(
        'SELECT object, connections FROM objects WHERE at >= ? ORDER BY object',
        now - STALE_AFTER_MS,
      )
      .toArray()
      .filter((r) => (JSON.parse(r.connections) as ConnectionCount[]).some((c) => c.protocol === protocol))
      .map((r) => r.object)
  }

  #add(name: string, label: string, n: number) {
    if (n === 0) return
    this.ctx.storage.sql.exec(
      `INSERT INTO totals (name, label, value) VALUES (?, ?, ?)
       ON CONFLICT (name, label) DO UPDATE SET value = value + excluded.value`,
      name,
      label,
      n,
    )
  }
}

/** The one registry object. */
export const metricsRegistry = (env: Env) =>
  env.METRICS_REGISTRY.get(env.METRICS_REGISTRY.idFromName('global'))

/** Sends one object's report (from `MetricsReporter.take`); never throws — metrics must not break a room. */
export async function reportMetrics(env: Env, report: ObjectReport | null): Promise<void> {
  if (!report) return
  try {
    await metricsRegistry(env).report({ objects: [report] })
  } catch (err) {
    log('error', { msg: 'metrics report lost', object: report.object, error: String(err) })
  }
}
