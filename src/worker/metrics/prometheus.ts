import type { MetricsSnapshot } from './registry'

/** Metric families of `/metrics`: name → [type, help]. Counters come from the snapshot's totals. */
const COUNTERS: Record<string, string> = {
  messages: 'Messages accepted by room objects, by room kind',
  errors: 'Errors in room objects (refused frames, failed writes), by room kind',
  http_requests: 'HTTP requests the Worker answered, by API family and status class',
  webhook_events: 'Webhook events emitted, by type',
  webhook_deliveries: 'Webhook deliveries, by outcome (delivered, retried, dead_lettered, dropped)',
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const labels = (pairs: [string, string][]) =>
  pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`
/** A registry label string (`family=api,status=2xx`) as label pairs. */
const parse = (label: string): [string, string][] =>
  label
    .split(',')
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=')
      return [p.slice(0, i), p.slice(i + 1)] as [string, string]
    })

/** The snapshot in Prometheus text exposition format (version 0.0.4). */
export function prometheusText(s: MetricsSnapshot): string {
  const out: string[] = []
  const family = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]) => {
    out.push(`# HELP switchboard_${name} ${help}`, `# TYPE switchboard_${name} ${type}`)
    for (const [l, v] of samples) out.push(`switchboard_${name}${l} ${v}`)
  }
  family('objects_reporting', 'gauge', 'Room objects whose latest report is current', [
    ['', s.objects_reporting],
  ])
  family(
    'rooms_open',
    'gauge',
    'Rooms held open by room objects, by kind',
    Object.entries(s.rooms).map(([k, v]) => [labels([['kind', k]]), v]),
  )
  family(
    'connections',
    'gauge',
    'Open connections, by protocol and transport',
    s.connections.map((c) => [
      labels([
        ['protocol', c.protocol],
        ['transport', c.transport],
      ]),
      c.count,
    ]),
  )
  family(
    'messages_per_minute',
    'gauge',
    'Messages in the last complete minute, by room kind',
    Object.entries(s.messages_per_minute).map(([k, v]) => [labels([['kind', k]]), v]),
  )
  family(
    'errors_per_minute',
    'gauge',
    'Errors in the last complete minute, by room kind',
    Object.entries(s.errors_per_minute).map(([k, v]) => [labels([['kind', k]]), v]),
  )
  for (const [name, help] of Object.entries(COUNTERS))
    family(
      `${name}_total`,
      'counter',
      help,
      Object.entries(s.totals[name] ?? {}).map(([l, v]) => [labels(parse(l)), v]),
    )
  return `${out.join('\n')}\n`
}
