import { AsyncLocalStorage } from 'node:async_hooks'

/** Severity of a log line, lowest first (LOG_LEVEL names the lowest written). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/** True when a line at `level` is written under LOG_LEVEL `min`. */
export const shouldLog = (min: LogLevel, level: LogLevel) => order[level] >= order[min]

/** What every line written while a request is handled carries. */
interface RequestScope {
  requestId: string
  minLevel: LogLevel
}

const scope = new AsyncLocalStorage<RequestScope>()

/**
 * Runs `fn` (a request's handling) so that every `log` call under it, however deep in the
 * services, carries the request's id and honours its LOG_LEVEL.
 */
export function inRequestScope<T>(requestId: string, minLevel: LogLevel, fn: () => T): T {
  return scope.run({ requestId, minLevel }, fn)
}

/** The id of the request being handled, when there is one. */
export const currentRequestId = (): string | undefined => scope.getStore()?.requestId

/**
 * Writes one JSON log line: `ts`, `level`, the current request's `request_id` (when inside one),
 * then `fields`; an Error value becomes its message. Lines below the request's LOG_LEVEL are
 * dropped. Bodies and credentials must never be passed in.
 */
export function log(level: LogLevel, fields: Record<string, unknown>): void {
  const store = scope.getStore()
  if (store && !shouldLog(store.minLevel, level)) return
  const line: Record<string, unknown> = { ts: new Date().toISOString(), level }
  if (store) line.request_id = store.requestId
  for (const [k, v] of Object.entries(fields)) line[k] = v instanceof Error ? v.message : v
  const text = JSON.stringify(line)
  if (level === 'error') console.error(text)
  else if (level === 'warn') console.warn(text)
  else console.log(text)
}
