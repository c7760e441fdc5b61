import { createRoute, z } from '@hono/zod-openapi'
import { success } from '../lib/envelope'
import { requireAuth } from '../middleware/auth'
import { router } from '../lib/router'
import { bearerSecurity, gatewayResponses } from '../schemas/common'
import { LogoForm, LogoName, StoredLogo } from '../schemas/files'
import { checkUpload, serveObject } from '../services/files'

/**
 * Seed 000's static paths (`/files`, `/images`, `/videos`, `/thumbnails`, `/logo`) served from R2 by key.
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

gatewayStaticRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/logo/{name}',
    tags: ['Gateway: static'],
    summary: 'A logo (seed 000 `/logo` static path), public',
    request: { params: z.object({ name: LogoName }) },
    responses: { 200: { description: 'The image' }, 404: { description: 'Not found' } },
  }),
  (c) => serveObject(c.env.BUCKET, `logo/${c.req.valid('param').name}`, c.req.raw),
)

gatewayStaticRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/logo/{name}',
    tags: ['Gateway: static'],
    summary: 'Store or replace a logo served at /logo/{name} (admin or service)',
    description:
      'Multipart field `logo`: an image (png, jpeg, gif, webp, heic; not SVG) within FILE_SIZE_LIMIT — 415 / 413 otherwise. Stored in R2 under `logo/{name}`; the same name replaces it.',
    security: bearerSecurity,
    middleware: [requireAuth({ roles: ['admin', 'service'] })] as const,
    request: {
      params: z.object({ name: LogoName }),
      body: { content: { 'multipart/form-data': { schema: LogoForm } }, required: true },
    },
    responses: gatewayResponses(StoredLogo, 'Stored', [401, 403, 413, 415]),
  }),
  async (c) => {
    const { name } = c.req.valid('param')
    const { logo } = c.req.valid('form')
    const type = await checkUpload(c.var.config, logo, 'avatar')
    await c.env.BUCKET.put(`logo/${name}`, logo.stream(), { httpMetadata: { contentType: type } })
    return success(c, {
      name,
      url: `${c.var.config.API_URL.replace(/\/+$/, '')}/logo/${name}`,
      content_type: type,
      size: logo.size,
    })
  },
)
