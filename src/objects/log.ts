/** Severity of a structured log line. */
export type LogLevel = 'info' | 'warn' | 'error'

/**
 * Writes one structured log line (JSON, one per event) from inside an object: `where` names the
 * step, `fields` carry what a person needs to act on it (ids, the error). Errors become strings.
 */
export function logEvent(level: LogLevel, where: string, fields: Record<string, unknown> = {}): void {
  const line: Record<string, unknown> = { level, where }
  for (const [k, v] of Object.entries(fields)) line[k] = v instanceof Error ? String(v) : v
  const text = JSON.stringify(line)
  if (level === 'error') console.error(text)
  else if (level === 'warn') console.warn(text)
  else console.log(text)
}
