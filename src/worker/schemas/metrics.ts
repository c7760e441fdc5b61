import { z } from '@hono/zod-openapi'

const byLabel = z.record(z.string(), z.number().int())

export const MetricsSnapshotView = z
  .object({
    generated_at: z.string(),
    objects_reporting: z
      .number()
      .int()
      .openapi({ description: 'Room objects whose latest report is current' }),
    rooms: byLabel.openapi({ description: 'Open rooms by kind' }),
    connections: z.array(
      z.object({
        protocol: z.enum(['json', 'socketio', 'livechat']),
        transport: z.enum(['websocket', 'polling']),
        count: z.number().int(),
      }),
    ),
    connections_total: z.number().int(),
    messages_per_minute: byLabel.openapi({ description: 'Last complete minute, by room kind' }),
    errors_per_minute: byLabel.openapi({ description: 'Last complete minute, by room kind' }),
    totals: z.record(z.string(), byLabel).openapi({
      description:
        'Running counters `{name: {"k=v,…": n}}`: messages, errors (by kind), http_requests (family, status), webhook_events (type), webhook_deliveries (outcome)',
    }),
  })
  .openapi('MetricsSnapshot')
