/**
 * What objects and the Worker report to the metrics registry (registry.ts), and the small class a
 * room object embeds to decide when to report (README "Operations"). Reports are batched: an
 * object sends at most one per METRICS_REPORT_INTERVAL_MS, only when something changed (an idle
 * room sends nothing), plus a keep-alive while it holds connections and is awake anyway.
 */

/** Kinds of room object (as in webhook events' `room.kind`). */
export type RoomKind = 'chat' | 'conference' | 'live' | 'livechat' | 'notification' | 'queue'
export type Protocol = 'json' | 'socketio' | 'livechat'
export type Transport = 'websocket' | 'polling'

/** Open connections of one protocol over one transport. */
export interface ConnectionCount {
  protocol: Protocol
  transport: Transport
  count: number
}

/** One object's state (gauges) and what happened since its previous report (deltas). */
export interface ObjectReport {
  /** Unique per object, e.g. `chat:<id>`; a later report replaces the earlier one's gauges. */
  object: string
  kind: RoomKind
  /** Rooms the object holds open now (0 with no connections left: the registry forgets it). */
  rooms: number
  connections: ConnectionCount[]
  /** Messages accepted since the previous report. */
  messages: number
  /** Errors (refused frames, failed writes) since the previous report. */
  errors: number
  /** When the report was taken, epoch ms. */
  at: number
}

/** Counters of one Worker isolate since its previous flush: `{name: {label: n}}`. */
export type WorkerCounts = Record<string, Record<string, number>>

/** One registry call: any number of object reports and/or one isolate's counters. */
export interface RegistryReport {
  objects?: ObjectReport[]
  worker?: WorkerCounts
}

const connKey = (protocol: Protocol, transport: Transport) => `${protocol}/${transport}`

/**
 * Kept by a room object: count connections, messages and errors as they happen, then call
 * `take(now)` from any event the object handles (a message, a close, an alarm) and send what it
 * returns with `reportMetrics(env, report)`. Memory only: after a wake, `setConnections` from
 * `ctx.getWebSockets()` (the next report carries the true gauges).
 */
export class MetricsReporter {
  readonly #object: string
  readonly #kind: RoomKind
  readonly #intervalMs: number
  readonly #keepAliveMs: number
  readonly #connections = new Map<string, ConnectionCount>()
  #rooms = 0
  #messages = 0
  #errors = 0
  #changed = false
  #lastSent = -Infinity
  /** Whether the registry has heard of this object (a report went, now or before a wake). */
  #known: boolean

  /**
   * `lastSentAt`: when this object last reported before a wake (kept by the object), so batching
   * holds across wakes. `startedAt`: with no `lastSentAt`, the first report waits an interval
   * from then, as if one had been sent (for short-lived objects: see `take`'s `last`).
   */
  constructor(
    object: string,
    kind: RoomKind,
    options: { intervalMs: number; keepAliveMs?: number; lastSentAt?: number; startedAt?: number },
  ) {
    this.#object = object
    this.#kind = kind
    this.#intervalMs = options.intervalMs
    this.#keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS
    this.#known = options.lastSentAt !== undefined
    this.#lastSent = options.lastSentAt ?? options.startedAt ?? -Infinity
  }

  connectionOpened(protocol: Protocol, transport: Transport): void {
    this.#add(protocol, transport, 1)
  }

  connectionClosed(protocol: Protocol, transport: Transport): void {
    this.#add(protocol, transport, -1)
  }

  /** Replaces the connection gauges (after a wake, from the sockets the object still has). */
  setConnections(counts: ConnectionCount[]): void {
    this.#connections.clear()
    for (const c of counts) if (c.count > 0) this.#connections.set(connKey(c.protocol, c.transport), { ...c })
    this.#changed = true
  }

  /** How many rooms the object holds open (usually 1 while anyone is connected). */
  setRooms(rooms: number): void {
    if (rooms !== this.#rooms) this.#changed = true
    this.#rooms = rooms
  }

  message(n = 1): void {
    this.#messages += n
  }

  error(n = 1): void {
    this.#errors += n
  }

  /**
   * The report to send now, or null: something changed and the interval has passed since the last
   * one (or `now` is the object's last chance to report: `last`), or the object holds connections
   * and the keep-alive is due. Resets the deltas it returns. A last report that would tell the
   * registry only that an object it never heard of holds nothing is not sent.
   */
  take(now = Date.now(), last = false): ObjectReport | null {
    // Called once per write batch: nothing is allocated until a report is due.
    const dirty = this.#changed || this.#messages > 0 || this.#errors > 0
    const since = now - this.#lastSent
    const held = this.#connections.size > 0
    const keepAlive = held && since >= this.#keepAliveMs
    if (!(dirty && (last || since >= this.#intervalMs)) && !keepAlive) return null
    if (last && !this.#known && !held && !this.#rooms && !this.#messages && !this.#errors) {
      this.#changed = false
      return null
    }
    const report: ObjectReport = {
      object: this.#object,
      kind: this.#kind,
      rooms: this.#rooms,
      connections: [...this.#connections.values()].map((c) => ({ ...c })),
      messages: this.#messages,
      errors: this.#errors,
      at: now,
    }
    this.#messages = 0
    this.#errors = 0
    this.#changed = false
    this.#lastSent = now
    this.#known = true
    return report
  }

  /** When `take` may next return a report (to schedule a timer or alarm); null when there is nothing to send. */
  nextReportAt(): number | null {
    if (this.#changed || this.#messages > 0 || this.#errors > 0)
      return Math.max(this.#lastSent + this.#intervalMs, 0)
    return this.#connections.size > 0 ? this.#lastSent + this.#keepAliveMs : null
  }

  #add(protocol: Protocol, transport: Transport, delta: number) {
    const k = connKey(protocol, transport)
    const c = this.#connections.get(k) ?? { protocol, transport, count: 0 }
    c.count = Math.max(0, c.count + delta)
    if (c.count === 0) this.#connections.delete(k)
    else this.#connections.set(k, c)
    this.#changed = true
  }
}

/** An object holding connections re-reports at least this often while it is awake. */
export const KEEP_ALIVE_MS = 5 * 60_000
/** The registry forgets an object's gauges when it has not reported for this long. */
export const STALE_AFTER_MS = 15 * 60_000
