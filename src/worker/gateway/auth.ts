import { createRoute } from '@hono/zod-openapi'
import { db } from '../db/client'
import { clientIp } from '../lib/client-ip'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { ServiceToken, VerifyUserBody } from '../schemas/auth'
import { gatewayResponses, jsonBody } from '../schemas/common'
import { z } from '@hono/zod-openapi'
import * as auth from '../services/auth'

/** Seed 000 `/auth`: service tokens from API keys, and staff sign-in. */
export const gatewayAuthRoutes = router()

gatewayAuthRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/create',
    tags: ['Gateway: auth'],
    summary: 'Exchange a service API key (x-api-key) for a service JWT',
    request: { headers: z.object({ 'x-api-key': z.string().optional() }) },
    responses: gatewayResponses(ServiceToken, 'Service token', [401]),
  }),
  async (c) => success(c, await auth.serviceToken(db(c.env.DB), c.var.config, c.req.header('x-api-key'))),
)

gatewayAuthRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/verifyuser',
    tags: ['Gateway: auth'],
    summary: 'Staff sign-in (admin or agent): email as username',
    request: { body: jsonBody(VerifyUserBody) },
    responses: gatewayResponses(ServiceToken, 'Access token', [401, 403, 429]),
  }),
  async (c) => {
    const { username, password } = c.req.valid('json')
    return success(
      c,
      await auth.staffLogin(c.env, db(c.env.DB), c.var.config, username, password, clientIp(c)),
    )
  },
)
