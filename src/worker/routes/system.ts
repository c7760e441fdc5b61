import { createRoute, z } from '@hono/zod-openapi'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { gatewayResponses } from '../schemas/common'

export const VERSION = '0.1.0'

/** `/health`. (`/openapi.json` is served by the app itself, which owns the registry.) */
export const systemRoutes = router()

const Health = z
  .object({
    service: z.literal('switchboard'),
    version: z.string(),
    environment: z.string(),
    time: z.string(),
    checks: z.object({ d1: z.enum(['ok', 'error']) }),
  })
  .openapi('Health')

systemRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/health',
    tags: ['System'],
    summary: 'Liveness and a D1 round trip',
    responses: { ...gatewayResponses(Health, 'Healthy'), 503: { description: 'D1 unreachable' } },
  }),
  async (c) => {
    const d1 = await c.env.DB.prepare('select 1 as one')
      .first('one')
      .then((v) => (v === 1 ? 'ok' : 'error'))
      .catch(() => 'error' as const)
    const data = {
      service: 'switchboard' as const,
      version: VERSION,
      environment: c.var.config.ENVIRONMENT,
      time: new Date().toISOString(),
      checks: { d1: d1 as 'ok' | 'error' },
    }
    return success(c, data, d1 === 'ok' ? 'healthy' : 'degraded', d1 === 'ok' ? 200 : 503)
  },
)
