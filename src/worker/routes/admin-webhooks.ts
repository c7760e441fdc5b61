import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import { router } from '../lib/router'
import { requireAuth } from '../middleware/auth'
import { bearerSecurity, jsonBody, modernResponses } from '../schemas/common'
import {
  CreateWebhookEndpointBody,
  DeadLetterIdParam,
  DeadLetterList,
  DeadLetterQuery,
  EndpointIdParam,
  ReplayResult,
  UpdateWebhookEndpointBody,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
  WebhookListQuery,
} from '../schemas/webhook-endpoints'
import * as hooks from '../services/webhook-endpoints'

/** `/api/v1/admin/webhooks` — outbound webhook endpoints and their dead letters. Admins only. */
export const adminWebhookRoutes = router()
adminWebhookRoutes.use('*', requireAuth({ roles: ['admin'] }))

const common = { tags: ['Admin: webhooks'], security: bearerSecurity }
const ADMIN = 'Admins only (401 without a bearer, 403 for other roles).'

// Dead-letter routes first: `/dead-letters` must not be taken for an endpoint id.
adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/dead-letters',
    summary: 'Deliveries that failed their last attempt, newest first',
    description: ADMIN,
    request: { query: DeadLetterQuery },
    responses: modernResponses(200, DeadLetterList, 'Dead letters', [401, 403]),
  }),
  async (c) => {
    const q = c.req.valid('query')
    const rows = await hooks.listDeadLetters(db(c.env.DB), { endpointId: q.endpoint_id, limit: q.limit })
    return ok(c, { dead_letters: rows.map(hooks.deadLetterView) })
  },
)

adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/dead-letters/{dead_letter_id}/replay',
    summary: 'Queue one dead letter again',
    description: `${ADMIN} The event keeps its id (receivers deduplicate on it) and gets a fresh set of attempts; it leaves the store, and comes back if it fails again.`,
    request: { params: DeadLetterIdParam },
    responses: modernResponses(200, ReplayResult, 'Queued', [401, 403, 404]),
  }),
  async (c) =>
    ok(c, await hooks.replayDeadLetters(c.env, db(c.env.DB), { id: c.req.valid('param').dead_letter_id })),
)

adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/',
    summary: 'Registered endpoints',
    description: ADMIN,
    request: { query: WebhookListQuery },
    responses: modernResponses(200, WebhookEndpointList, 'Endpoints', [401, 403]),
  }),
  async (c) => {
    const rows = await hooks.listEndpoints(db(c.env.DB), c.req.valid('query').service)
    return ok(c, { endpoints: rows.map(hooks.endpointView) })
  },
)

adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/',
    summary: 'Register an endpoint for some event types (answers its signing secret, once)',
    description: `${ADMIN} Deliveries are \`POST {events:[…]}\` signed with the secret (README “Operations”).`,
    request: { body: jsonBody(CreateWebhookEndpointBody) },
    responses: modernResponses(201, WebhookEndpointWithSecret, 'Registered', [401, 403]),
  }),
  async (c) => ok(c, await hooks.createEndpoint(db(c.env.DB), c.req.valid('json'), c.var.identity!.id), 201),
)

adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{endpoint_id}',
    summary: 'One endpoint',
    description: ADMIN,
    request: { params: EndpointIdParam },
    responses: modernResponses(200, WebhookEndpoint, 'The endpoint', [401, 403, 404]),
  }),
  async (c) =>
    ok(c, hooks.endpointView(await hooks.getEndpoint(db(c.env.DB), c.req.valid('param').endpoint_id))),
)

adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'patch',
    path: '/{endpoint_id}',
    summary: 'Change an endpoint (URL, events, service, batch size, enabled)',
    description: `${ADMIN} A disabled endpoint gets nothing new, and its deliveries still queued are dropped.`,
    request: { params: EndpointIdParam, body: jsonBody(UpdateWebhookEndpointBody) },
    responses: modernResponses(200, WebhookEndpoint, 'Changed', [401, 403, 404]),
  }),
  async (c) => {
    const row = await hooks.updateEndpoint(
      db(c.env.DB),
      c.req.valid('param').endpoint_id,
      c.req.valid('json'),
    )
    return ok(c, hooks.endpointView(row))
  },
)

adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'delete',
    path: '/{endpoint_id}',
    summary: 'Delete an endpoint and its dead letters',
    description: ADMIN,
    request: { params: EndpointIdParam },
    responses: modernResponses(200, z.object({ deleted: z.literal(true) }), 'Deleted', [401, 403, 404]),
  }),
  async (c) => {
    await hooks.deleteEndpoint(db(c.env.DB), c.req.valid('param').endpoint_id)
    return ok(c, { deleted: true as const })
  },
)

adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/{endpoint_id}/rotate-secret',
    summary: 'Replace the signing secret (answers the new one, once)',
    description: `${ADMIN} Takes effect at once, for deliveries already queued too.`,
    request: { params: EndpointIdParam },
    responses: modernResponses(200, WebhookEndpointWithSecret, 'Rotated', [401, 403, 404]),
  }),
  async (c) => ok(c, await hooks.rotateSecret(db(c.env.DB), c.req.valid('param').endpoint_id)),
)

adminWebhookRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/{endpoint_id}/dead-letters/replay',
    summary: 'Queue an endpoint’s dead letters again (oldest 100 per call)',
    description: `${ADMIN} As replaying one; \`remaining\` says how many are still stored.`,
    request: { params: EndpointIdParam },
    responses: modernResponses(200, ReplayResult, 'Queued', [401, 403, 404]),
  }),
  async (c) => {
    const d = db(c.env.DB)
    const endpoint = await hooks.getEndpoint(d, c.req.valid('param').endpoint_id)
    return ok(c, await hooks.replayDeadLetters(c.env, d, { endpointId: endpoint.id }))
  },
)
