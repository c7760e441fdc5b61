import { createRoute } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { requireAuth } from '../middleware/auth'
import { bearerSecurity, gatewayResponses, jsonBody } from '../schemas/common'
import { GenerateUserBody, JoinGrant } from '../schemas/room-users'
import * as roomUsers from '../services/room-users'

/** Seed 000 `/user`: conference participants, their LiveKit tokens and LiveKit participant control. */
export const gatewayUserRoutes = router()

const staff = requireAuth({ roles: ['admin', 'agent', 'service'] })
const tags = ['Gateway: user']

gatewayUserRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/generate',
    tags,
    summary: 'Create the room when absent and a participant with a LiveKit token (SPEC §4.2 golden path)',
    description:
      'Bearer: a service token (`GET /auth/create`) or a staff (admin/agent) access token. The room is ' +
      'placed on the healthy LiveKit node with the fewest open rooms and created there; when no node ' +
      'answers the room is still recorded and the token minted (LiveKit creates the room on first join). ' +
      'An error reply from LiveKit is a 502. `url` is the node’s URL as ws(s)://.',
    security: bearerSecurity,
    middleware: [staff] as const,
    request: { body: jsonBody(GenerateUserBody) },
    responses: gatewayResponses(JoinGrant, 'Room, identity, LiveKit token and URL', [401, 403, 409, 502]),
  }),
  async (c) => {
    const body = c.req.valid('json')
    return success(
      c,
      await roomUsers.generateUser(db(c.env.DB), c.var.config, { ...body, createdBy: c.var.identity!.id }),
    )
  },
)
