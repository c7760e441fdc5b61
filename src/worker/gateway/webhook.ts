import { createRoute } from '@hono/zod-openapi'
import { z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { receiveLiveKitWebhook } from '../lib/livekit'
import { router } from '../lib/router'
import { gatewayResponses } from '../schemas/common'
import { WebhookResult } from '../schemas/recordings'
import { handleWebhook } from '../services/webhooks'

/** Seed 000 `POST /webhook`: LiveKit webhooks, verified before anything is read. */
export const gatewayWebhookRoutes = router()

gatewayWebhookRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/webhook',
    tags: ['Gateway: system'],
    summary: 'LiveKit webhook receiver',
    description:
      'Point each LiveKit node’s `webhook.urls` here (its `webhook.api_key` must be that node’s key). ' +
      'Verified with the SDK’s WebhookReceiver over the raw body: `Authorization` is the JWT signed by a ' +
      'configured node, unexpired, whose `sha256` claim matches the body. Unsigned, tampered or stale → ' +
      '401 and nothing changes. Events of seed 000 §5.1 update D1 and tell the room’s sockets. Idempotent: ' +
      'a repeated event `id` (kept at least as long as its signature is valid) changes nothing ' +
      '(`ignored: "duplicate"`), and events are applied in `createdAt` order per room, participant and ' +
      'egress: one older than an event already received changes nothing (`ignored: "stale"`).',
    // The body is read raw (its hash is signed), so it is not declared for validation here.
    request: { headers: z.object({ authorization: z.string().optional() }) },
    responses: gatewayResponses(WebhookResult, 'Handled', [401]),
  }),
  async (c) => {
    const raw = await c.req.text()
    const received = await receiveLiveKitWebhook(c.var.config, raw, c.req.header('authorization'))
    return success(c, await handleWebhook(c.env, db(c.env.DB), c.var.config, received))
  },
)
