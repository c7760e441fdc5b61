import { createRoute, z } from '@hono/zod-openapi'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { anyOrigin } from '../middleware/cors'
import { gatewayResponses } from '../schemas/common'

export const VERSION = '0.1.0'

/** `/health` (seed 000 envelope) and `/healthz` (seed 004 shape). (`/openapi.json` is served by the app itself.) */
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
    const d1 = await d1Check(c.env.DB)
    const data = {
      service: 'switchboard' as const,
      version: VERSION,
      environment: c.var.config.ENVIRONMENT,
      time: new Date().toISOString(),
      checks: { d1 },
    }
    return success(c, data, d1 === 'ok' ? 'healthy' : 'degraded', d1 === 'ok' ? 200 : 503)
  },
)

/** One D1 round trip: `ok`, or `error` when D1 does not answer. */
const d1Check = (d: D1Database): Promise<'ok' | 'error'> =>
  d
    .prepare('select 1 as one')
    .first('one')
    .then((v) => (v === 1 ? ('ok' as const) : ('error' as const)))
    .catch(() => 'error' as const)

/** The CORS origins in effect, as seed 004 reports them: the list, or `*` when any origin is allowed. */
function corsOrigins(config: { ALLOWED_ORIGINS: string[]; ENVIRONMENT: string }): string {
  return anyOrigin(config) ? '*' : config.ALLOWED_ORIGINS.join(',')
}

const Healthz = z
  .object({
    status: z.enum(['ok', 'degraded']),
    message: z.string(),
    port: z.string().openapi({ description: 'The port this request came in on ("" for the scheme default)' }),
    environment: z.string(),
    cors_origins: z
      .string()
      .openapi({ description: 'ALLOWED_ORIGINS in effect: a comma list, `*` for any, "" for none' }),
  })
  .openapi('Healthz')

systemRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/healthz',
    tags: ['System'],
    summary: 'Liveness in seed 004’s shape (`status: "ok"`, environment, CORS origins), no envelope',
    description:
      'Seed 004’s `/health` fields; `/health` keeps seed 000’s envelope. `status` is `degraded` with a 503 when D1 does not answer.',
    responses: {
      200: { content: { 'application/json': { schema: Healthz } }, description: 'Healthy' },
      503: { content: { 'application/json': { schema: Healthz } }, description: 'D1 unreachable' },
    },
  }),
  async (c) => {
    const ok = (await d1Check(c.env.DB)) === 'ok'
    const body = {
      status: ok ? ('ok' as const) : ('degraded' as const),
      message: ok ? 'Switchboard is running' : 'Switchboard is running; D1 does not answer',
      port: new URL(c.req.url).port,
      environment: c.var.config.ENVIRONMENT,
      cors_origins: corsOrigins(c.var.config),
    }
    return c.json(body, ok ? 200 : 503)
  },
)
