import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { staffOnly } from './access'
import { gatewayResponses } from '../schemas/common'
import { Breakdown, DailyStat, DayQuery, RangeQuery, Summary } from '../schemas/stats'
import * as stats from '../services/stats'

/** Seed 000 `/stats`: figures over a UTC date range (`?from=&to=`, default the last 30 days). Staff only. */
export const gatewayStatsRoutes = router()

const common = {
  tags: ['Gateway: stats'],
  ...staffOnly,
}

gatewayStatsRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/summary',
    summary: 'Rooms, cases, participants, recordings, links, SMS',
    request: { query: RangeQuery },
    responses: gatewayResponses(Summary, 'Summary', [401, 403]),
  }),
  async (c) => {
    const { from, to } = c.req.valid('query')
    return success(c, await stats.summary(db(c.env.DB), from, to))
  },
)

const described: Record<keyof typeof stats.breakdowns, string> = {
  device: 'Participants and usage by device',
  type: 'Rooms and cases by type',
  user: 'Participants by user type, accounts by role',
  case: 'Cases by status and by day',
}
for (const which of Object.keys(described) as (keyof typeof stats.breakdowns)[]) {
  gatewayStatsRoutes.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: `/${which}`,
      summary: described[which],
      request: { query: RangeQuery },
      responses: gatewayResponses(Breakdown, 'Counts', [401, 403]),
    }),
    async (c) => {
      const { from, to } = c.req.valid('query')
      return success(c, await stats.breakdown(db(c.env.DB), which, from, to))
    },
  )
}

gatewayStatsRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/gen',
    summary: 'Compute one day into daily_stats (idempotent)',
    request: { query: DayQuery },
    responses: gatewayResponses(z.array(DailyStat), 'The day’s rows', [401, 403]),
  }),
  async (c) =>
    success(c, await stats.generateDay(db(c.env.DB), c.req.valid('query').day ?? stats.yesterday())),
)

gatewayStatsRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/generate',
    summary: 'Compute every day of a range (≤ 31) into daily_stats (idempotent)',
    request: { query: RangeQuery },
    responses: gatewayResponses(z.array(DailyStat), 'The rows', [401, 403]),
  }),
  async (c) => {
    const { from, to } = c.req.valid('query')
    return success(
      c,
      await stats.generateRange(
        db(c.env.DB),
        from ?? to ?? stats.yesterday(),
        to ?? from ?? stats.yesterday(),
      ),
    )
  },
)
