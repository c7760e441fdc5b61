import { loadConfig } from '../worker/config'
import type { Env } from '../worker/env'
import { reportMetrics } from '../worker/metrics/registry'
import { flushWorkerCounts, workerFlushDue } from '../worker/metrics/worker-counts'
import { MetricsReporter, type Protocol, type RoomKind, type Transport } from '../worker/metrics/report'

/** What an object reports as: its kind, its WebSockets' protocol, and when it first reports. */
export interface MetricsOf {
  kind: RoomKind
  protocol: Protocol
  /**
   * The first report waits an interval instead of going at the first event: for objects that
   * mostly live for a moment (Socket.IO home objects, emptied at the upgrade), which then never
   * reach the registry at all.
   */
  reportLater?: boolean
}

/** Storage key (synchronous KV) of when this object last reported, so batching holds across wakes. */
const LAST_SENT_KEY = 'metrics:last_sent'

/**
 * One object's live metrics (README "Operations"): the connections it holds by protocol and
 * transport (counted as they open and close, recounted from its sockets after a wake), whether
 * it holds a room open, and the messages and errors since its last report. `tick` sends at most
 * one report per METRICS_REPORT_INTERVAL_MS, only when something changed (an idle room sends
 * nothing), plus a keep-alive while it holds connections; the object sets its alarm to the
 * answer so that a last change is reported without waiting for another event.
 */
export class ObjectMetrics {
  readonly #ctx: DurableObjectState
  readonly #env: Env
  readonly #reporter: MetricsReporter
  readonly #intervalMs: number
  /** Connections held besides WebSockets (long-polling sessions) at the last tick. */
  #polling = 0
  /** The protocol this object's connections speak. */
  readonly protocol: Protocol

  /** `websockets`: how many WebSockets the object holds at the start of this wake. */
  constructor(ctx: DurableObjectState, env: Env, object: string, of: MetricsOf, websockets: number) {
    this.#ctx = ctx
    this.#env = env
    this.protocol = of.protocol
    this.#intervalMs = loadConfig(env).METRICS_REPORT_INTERVAL_MS
    this.#reporter = new MetricsReporter(`${of.kind}:${object}`, of.kind, {
      intervalMs: this.#intervalMs,
      lastSentAt: ctx.storage.kv.get<number>(LAST_SENT_KEY),
      startedAt: of.reportLater ? Date.now() : undefined,
    })
    if (websockets > 0)
      this.#reporter.setConnections([{ protocol: of.protocol, transport: 'websocket', count: websockets }])
  }

  /** A connection over `transport` opened. */
  opened(transport: Transport): void {
    this.#reporter.connectionOpened(this.protocol, transport)
  }

  closed(transport: Transport): void {
    this.#reporter.connectionClosed(this.protocol, transport)
  }

  message(n = 1): void {
    this.#reporter.message(n)
  }

  error(n = 1): void {
    this.#reporter.error(n)
  }

  /**
   * Sends a report if one is due (under `waitUntil`: nobody waits on it) with `rooms` open and
   * `polling` long-polling sessions held now; answers when the next one may be due (for the
   * alarm), or null when nothing is pending. `last`: the object empties for good (its storage
   * goes), so anything unreported goes now, whatever the interval.
   */
  tick(rooms: number, polling: number, now = Date.now(), last = false): number | null {
    this.#reporter.setRooms(rooms)
    for (; this.#polling < polling; this.#polling++) this.#reporter.connectionOpened(this.protocol, 'polling')
    for (; this.#polling > polling; this.#polling--) this.#reporter.connectionClosed(this.protocol, 'polling')
    const report = this.#reporter.take(now, last)
    if (report) {
      if (!last) this.#ctx.storage.kv.put(LAST_SENT_KEY, now)
      this.#ctx.waitUntil(reportMetrics(this.#env, report))
    }
    // What this isolate counted itself (e.g. webhook events a room emitted): an object's isolate
    // serves no Worker request that would send them, so its ticks do.
    if (workerFlushDue(this.#intervalMs, now)) this.#ctx.waitUntil(flushWorkerCounts(this.#env, now))
    return this.#reporter.nextReportAt()
  }
}
