import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env'
import { countWorker, flushWorkerCounts, workerFlushDue } from '../metrics/worker-counts'

/** Which family a path belongs to, for `http_requests{family}`. */
const familyOf = (path: string) =>
  path.startsWith('/api/') ? 'api' : path.startsWith('/socket.io') ? 'socketio' : 'gateway'

/**
 * Counts every answered request by API family and status class in this isolate's counters, and
 * sends them to the metrics registry after the response once METRICS_REPORT_INTERVAL_MS has passed
 * (at most one registry call per isolate per interval, never on the request's own time).
 */
export function countRequests(): MiddlewareHandler<AppEnv> {
  return async function countRequests(c, next) {
    await next()
    countWorker('http_requests', {
      family: familyOf(c.req.path),
      status: `${Math.floor(c.res.status / 100)}xx`,
    })
    if (workerFlushDue(c.var.config.METRICS_REPORT_INTERVAL_MS)) {
      try {
        c.executionCtx.waitUntil(flushWorkerCounts(c.env))
      } catch {
        // No execution context (app.request in unit tests): the next request with one sends them.
      }
    }
  }
}
