import { createRoute } from '@hono/zod-openapi'
import { liveKitNodes } from '../config'
import { db } from '../db/client'
import { liveKitNodes as nodeTable } from '../db/schema'
import { AppError, validationError } from '../lib/errors'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { STAFF_NOTE, staffOnly } from './access'
import { clientIp } from '../lib/client-ip'
import { iso } from '../lib/time'
import { optionalAuth } from '../middleware/auth'
import { VERSION } from '../routes/system'
import { gatewayResponses, jsonBody } from '../schemas/common'
import { CustomSmsBody, SmsResult } from '../schemas/links'
import { LogBody, LogEntry, NamespaceList, Root, ServiceInfo, Status } from '../schemas/system'
import { listServices, serviceView } from '../services/service-settings'
import { chargeLogWrite } from '../services/rate-limit'
import { appendUsageLog, namespaces, usageCounts } from '../services/system'
import { SMS_DESCRIPTION, sendSmsResponse } from './sms'

/** Seed 000 system routes: `/`, `/status`, `/service`, `/sms/custom`, `/namespace`, `/log`. */
export const gatewaySystemRoutes = router()

const tags = ['Gateway: system']

gatewaySystemRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags,
    summary: 'Root: what this is and where its docs are',
    description:
      'Public. Browsers (`Accept: text/html`) get a landing page linking the console, the reference and the health check.',
    responses: gatewayResponses(Root, 'Service identity'),
  }),
  (c) =>
    success(c, {
      service: 'switchboard' as const,
      version: VERSION,
      docs: '/docs',
      openapi: '/openapi.json',
      asyncapi: '/asyncapi.json',
      console: '/console/',
      health: '/health',
    }),
)

gatewaySystemRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/status',
    tags,
    ...staffOnly,
    summary: 'Usage now: open rooms, active links, live sessions, recordings, online users',
    description: `${STAFF_NOTE} Counts come from D1; socket counts live in each room's object and are not summed here.`,
    responses: gatewayResponses(Status, 'Usage counts', [401, 403]),
  }),
  async (c) =>
    success(c, {
      time: new Date().toISOString(),
      environment: c.var.config.ENVIRONMENT,
      usage: await usageCounts(db(c.env.DB)),
    }),
)

gatewaySystemRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/service',
    tags,
    ...staffOnly,
    summary: 'Service information: services, LiveKit nodes (no secrets), SMS and egress settings',
    description: `${STAFF_NOTE} Node health is the last sweep's verdict (null before the first sweep).`,
    responses: gatewayResponses(ServiceInfo, 'Service information', [401, 403]),
  }),
  async (c) => {
    const config = c.var.config
    const d = db(c.env.DB)
    const [services, health] = await Promise.all([listServices(d), d.select().from(nodeTable).all()])
    const healthy = new Map(health.map((n) => [n.name, n.healthy]))
    return success(c, {
      version: VERSION,
      environment: config.ENVIRONMENT,
      services: services.map(serviceView),
      livekit: {
        nodes: liveKitNodes(config).map((n) => ({
          name: n.name,
          url: n.url,
          healthy: healthy.get(n.name) ?? null,
        })),
        egress_limit: config.EGRESS_LIMIT,
      },
      sms: { enabled: config.SMS_ENABLE, provider_configured: config.SMS_API_URL !== '' },
    })
  },
)

gatewaySystemRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/sms/custom',
    tags,
    ...staffOnly,
    summary: 'Send a free-text SMS',
    description: `${STAFF_NOTE} ${SMS_DESCRIPTION}`,
    request: { body: jsonBody(CustomSmsBody) },
    responses: gatewayResponses(SmsResult, 'Sent or logged', [401, 403, 502]),
  }),
  (c) => sendSmsResponse(c, c.req.valid('json')),
)

gatewaySystemRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/namespace',
    tags,
    ...staffOnly,
    summary:
      'Socket.IO namespaces: `/<room>` of every open room, then /mobile, /notification, /queue, /newqueue',
    description: STAFF_NOTE,
    responses: gatewayResponses(NamespaceList, 'Namespaces', [401, 403]),
  }),
  async (c) => success(c, await namespaces(db(c.env.DB))),
)

gatewaySystemRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/log',
    tags,
    middleware: [optionalAuth()],
    summary: 'Append a usage log entry',
    description:
      'Public (frontends of link holders log too). With a valid bearer and no `identity`, the caller’s id is recorded. `detail` objects are stored as JSON. ' +
      'At most LOG_LIMIT_PER_MINUTE writes per caller (bearer id, else IP) per minute; more get 429 with `retry_after`.',
    request: { body: jsonBody(LogBody) },
    responses: gatewayResponses(LogEntry, 'The stored entry', [429]),
  }),
  async (c) => {
    const body = c.req.valid('json')
    const caller = c.var.identity ? `user:${c.var.identity.id}` : `ip:${clientIp(c)}`
    await chargeLogWrite(c.env, c.var.config, caller)
    const detail = typeof body.detail === 'object' ? JSON.stringify(body.detail) : body.detail
    if (detail && detail.length > 4000)
      throw validationError([{ path: ['detail'], message: 'must be at most 4000 characters as JSON' }])
    const row = await appendUsageLog(db(c.env.DB), {
      ...body,
      detail,
      identity: body.identity ?? c.var.identity?.id,
    })
    return success(c, { ...row, createdAt: iso(row.createdAt) })
  },
)
