import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import { router } from '../lib/router'
import { requireAuth } from '../middleware/auth'
import { bearerSecurity, IdParam, modernResponses } from '../schemas/common'
import { StoredFile, UploadForm } from '../schemas/files'
import * as files from '../services/files'

/** `/api/v1/files` — uploads to R2 with size and type limits; authorised, range-capable downloads. */
export const fileRoutes = router()
fileRoutes.use('*', requireAuth())

const common = { tags: ['Files'], security: bearerSecurity }

fileRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/',
    summary: 'Upload a file (multipart field `file`)',
    description:
      'Images, video, audio, PDF, text, CSV, JSON, zip and Office documents; SVG/HTML are refused (415). Capped by FILE_SIZE_LIMIT (413). With `chat_id`, only members may upload and read. Multipart bodies are buffered by the runtime: Workers accept request bodies up to 100 MB on most plans.',
    request: { body: { content: { 'multipart/form-data': { schema: UploadForm } }, required: true } },
    responses: modernResponses(201, StoredFile, 'Stored', [401, 403, 413, 415]),
  }),
  async (c) => {
    const form = c.req.valid('form')
    const row = await files.storeFile(db(c.env.DB), c.env.BUCKET, c.var.config, c.var.identity!, form.file, {
      purpose: form.purpose,
      chatId: form.chat_id,
      room: form.room,
    })
    return ok(c, files.fileView(row), 201)
  },
)

fileRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{id}',
    summary: 'File metadata',
    request: { params: IdParam },
    responses: modernResponses(200, StoredFile, 'The file', [401, 403, 404]),
  }),
  async (c) => {
    const d = db(c.env.DB)
    const row = await files.getFile(d, c.req.valid('param').id)
    await files.authorizeRead(d, row, c.var.identity!)
    return ok(c, files.fileView(row))
  },
)

fileRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{id}/content',
    summary: 'Download (supports a single Range)',
    request: { params: IdParam },
    responses: {
      ...modernResponses(200, StoredFile, '', [401, 403, 404]),
      200: { description: 'The bytes, with the stored content type' },
      206: { description: 'The requested range (Content-Range)' },
      416: { description: 'Range not satisfiable' },
    },
  }),
  async (c) => {
    const d = db(c.env.DB)
    const row = await files.getFile(d, c.req.valid('param').id)
    await files.authorizeRead(d, row, c.var.identity!)
    return files.serveObject(c.env.BUCKET, row.key, c.req.raw)
  },
)

fileRoutes.openapi(
  createRoute({
    ...common,
    method: 'delete',
    path: '/{id}',
    summary: 'Delete a file (owner or admin)',
    request: { params: IdParam },
    responses: modernResponses(200, z.object({}), 'Deleted', [401, 403, 404]),
  }),
  async (c) => {
    const d = db(c.env.DB)
    await files.deleteFile(d, c.env.BUCKET, await files.getFile(d, c.req.valid('param').id), c.var.identity!)
    return ok(c, {})
  },
)
