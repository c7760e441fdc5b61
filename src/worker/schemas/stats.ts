import { z } from '@hono/zod-openapi'

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')

/** A date range, inclusive, in UTC days; defaults to the last 30 days. */
export const RangeQuery = z
  .object({ from: day.optional(), to: day.optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] })

export const DayQuery = z.object({ day: day.optional().openapi({ description: 'Default: yesterday (UTC)' }) })

export const Counts = z.record(z.string(), z.number().int())

export const Summary = z
  .object({
    from: z.string(),
    to: z.string(),
    rooms: Counts,
    cases: Counts,
    participants: z.number().int(),
    recordings: z.number().int(),
    links: z.number().int(),
    sms: Counts,
  })
  .openapi('StatsSummary')

export const DailyStat = z
  .object({ day: z.string(), metric: z.string(), dimension: z.string(), value: z.number().int() })
  .openapi('DailyStat')

export const Breakdown = z
  .object({ from: z.string(), to: z.string() })
  .catchall(Counts)
  .openapi('StatsBreakdown')
