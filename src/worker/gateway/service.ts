import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { staffOnly } from './access'
import { requireAuth } from '../middleware/auth'
import { bearerSecurity, gatewayResponses, jsonBody } from '../schemas/common'
import { ServiceQuery, ServiceSettings, UpdateServiceBody } from '../schemas/service'
import * as services from '../services/service-settings'

/** Seed 000 `/service/*`: per-service settings (name, link domain, SMS template). */
export const gatewayServiceRoutes = router()

const tags = ['Gateway: service']

gatewayServiceRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/get',
    tags,
    ...staffOnly,
    summary: 'One service’s settings (`?service=`), or every service’s',
    description: 'Requires a staff bearer (admin, agent or service token). 404 for an unknown service.',
    request: { query: ServiceQuery },
    responses: gatewayResponses(
      z.union([ServiceSettings, z.array(ServiceSettings)]),
      'The service, or all services',
      [401, 403, 404],
    ),
  }),
  async (c) => {
    const { service } = c.req.valid('query')
    const d = db(c.env.DB)
    if (service === undefined) return success(c, (await services.listServices(d)).map(services.serviceView))
    return success(c, services.serviceView(await services.getService(d, service)))
  },
)

gatewayServiceRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/update',
    tags,
    security: bearerSecurity,
    middleware: [requireAuth({ roles: ['admin', 'service'] })],
    summary: 'Create or change a service’s settings',
    description:
      'Requires an admin or service bearer (agents get 403): the domain decides where every new link of the service points. Creating a service needs `name` and `domain`.',
    request: { body: jsonBody(UpdateServiceBody) },
    responses: gatewayResponses(ServiceSettings, 'The service after the change', [401, 403]),
  }),
  async (c) =>
    success(c, services.serviceView(await services.upsertService(db(c.env.DB), c.req.valid('json')))),
)
