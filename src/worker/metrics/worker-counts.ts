import type { Env } from '../env'
import { metricsRegistry } from './registry'
import type { WorkerCounts } from './report'
import { log } from '../lib/log'

/**
 * What a Worker isolate counts itself (HTTP requests, webhook events and deliveries), held in
 * memory and sent to the registry in one call at most every METRICS_REPORT_INTERVAL_MS. Labels
 * are `key=value` pairs joined by commas (`family=api,status=2xx`), as Prometheus shows them.
 */
let pending: WorkerCounts = {}
let lastFlush = Date.now()

/** Adds `n` to counter `name` with `labels`. */
export function countWorker(name: string, labels: Record<string, string>, n = 1): void {
  if (n === 0) return
  const label = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
  const counter = (pending[name] ??= {})
  counter[label] = (counter[label] ?? 0) + n
}

/** Whether this isolate's counters are due to be sent. */
export const workerFlushDue = (intervalMs: number, now = Date.now()) =>
  now - lastFlush >= intervalMs && Object.keys(pending).length > 0

/** Sends this isolate's counters to the registry and starts counting afresh; never throws (a failed send loses them). */
export async function flushWorkerCounts(env: Env, now = Date.now()): Promise<void> {
  lastFlush = now
  if (Object.keys(pending).length === 0) return
  const worker = pending
  pending = {}
  try {
    await metricsRegistry(env).report({ worker })
  } catch (err) {
    log('error', { msg: 'worker metrics lost', error: String(err) })
  }
}
