import { createRoute, z } from '@hono/zod-openapi'
import { ok } from '../lib/envelope'
import { AppError, unauthorized } from '../lib/errors'
import { router } from '../lib/router'
import { prometheusText } from '../metrics/prometheus'
import { metricsRegistry } from '../metrics/registry'
import { flushWorkerCounts } from '../metrics/worker-counts'
import { bearerToken, requireAuth } from '../middleware/auth'
import { bearerSecurity, GatewayErrorBody, modernResponses } from '../schemas/common'
import { MetricsSnapshotView } from '../schemas/metrics'
import type { Env } from '../env'

/** The registry's aggregate, with this isolate's pending counters sent first (so it includes them). */
async function snapshot(env: Env) {
  await flushWorkerCounts(env)
  return metricsRegistry(env).snapshot()
}

/** `GET /api/v1/admin/stats` — live metrics for admins. */
export const adminStatsRoutes = router()

adminStatsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['Admin: metrics'],
    security: bearerSecurity,
    middleware: [requireAuth({ roles: ['admin'] })] as const,
    summary: 'Live metrics: open rooms, connections, message and error rates, counters',
    description:
      'Admins only (401 without a bearer, 403 for other roles). README “Operations” names every figure.',
    responses: modernResponses(200, MetricsSnapshotView, 'The aggregate', [401, 403]),
  }),
  async (c) => ok(c, await snapshot(c.env)),
)

/** `GET /metrics` — the same in Prometheus text format, for scrapers holding METRICS_TOKEN. */
export const metricsRoutes = router()

metricsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/metrics',
    tags: ['System'],
    security: bearerSecurity,
    summary: 'Prometheus metrics (bearer: METRICS_TOKEN)',
    description:
      'Text exposition format 0.0.4. `Authorization: Bearer <METRICS_TOKEN>`; a wrong or missing token is 401; with METRICS_TOKEN unset the route is off (404).',
    responses: {
      200: { content: { 'text/plain': { schema: z.string() } }, description: 'Metrics' },
      401: {
        content: { 'application/json': { schema: GatewayErrorBody } },
        description: 'Missing or wrong token',
      },
      404: {
        content: { 'application/json': { schema: GatewayErrorBody } },
        description: 'METRICS_TOKEN unset',
      },
    },
  }),
  async (c) => {
    const expected = c.var.config.METRICS_TOKEN
    if (!expected) throw new AppError('not_found', 'Metrics are off: set METRICS_TOKEN to enable /metrics')
    if (!(await sameSecret(bearerToken(c.req.header('authorization')) ?? '', expected)))
      throw unauthorized('A valid METRICS_TOKEN bearer is required')
    return c.text(prometheusText(await snapshot(c.env)), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    })
  },
)

/** Constant-time comparison of two secrets (through their SHA-256, so lengths do not leak). */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = async (s: string) =>
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)))
  const [a, b] = await Promise.all([digest(given), digest(expected)])
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}
