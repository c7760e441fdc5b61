import { createRoute, z } from '@hono/zod-openapi'
import { router } from '../lib/router'
import { serveObject } from '../services/files'

/**
 * Seed 000's static paths (`/files`, `/images`, `/videos`, `/thumbnails`) served from R2 by key.
 * As in seed 000 they need no token: the key holds a random id, so the URL is the capability.
 * The authorised route is `/api/v1/files/{id}/content`.
 */
export const gatewayStaticRoutes = router()

for (const prefix of ['files', 'images', 'videos', 'thumbnails'] as const) {
  gatewayStaticRoutes.openapi(
    createRoute({
      method: 'get',
      path: `/${prefix}/{name}`,
      tags: ['Gateway: static'],
      summary: `A stored object under ${prefix}/ (supports Range)`,
      request: { params: z.object({ name: z.string().min(1).max(200) }) },
      responses: {
        200: { description: 'The bytes' },
        206: { description: 'A range' },
        404: { description: 'Not found' },
      },
    }),
    (c) => serveObject(c.env.BUCKET, `${prefix}/${c.req.valid('param').name}`, c.req.raw),
  )
}
