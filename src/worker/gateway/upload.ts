import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { staffOnly } from './access'
import { gatewayResponses, jsonBody } from '../schemas/common'
import { StoredFile, UploadFilesForm, UploadVideoForm } from '../schemas/files'
import { CustomSmsBody, SmsResult } from '../schemas/links'
import * as files from '../services/files'
import { SMS_DESCRIPTION, sendSmsResponse } from './sms'

/** Seed 000 `/upload`: multi-file and video uploads, the video list, SMS. Staff only. */
export const gatewayUploadRoutes = router()

const common = {
  tags: ['Gateway: upload'],
  ...staffOnly,
}

gatewayUploadRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/file',
    summary: 'Upload files (multipart `myFiles[]`, up to 20)',
    request: { body: { content: { 'multipart/form-data': { schema: UploadFilesForm } }, required: true } },
    responses: gatewayResponses(z.array(StoredFile), 'Stored', [401, 403, 413, 415]),
  }),
  async (c) => {
    const given = c.req.valid('form')['myFiles[]']
    const list = Array.isArray(given) ? given : [given]
    const d = db(c.env.DB)
    // Check every file before storing any, so a bad one stores nothing.
    for (const f of list) await files.checkUpload(c.var.config, f, 'message')
    const rows = []
    for (const f of list)
      rows.push(
        await files.storeFile(d, c.env.BUCKET, c.var.config, c.var.identity!, f, { purpose: 'message' }),
      )
    return success(c, rows.map(files.fileView))
  },
)

gatewayUploadRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/video',
    summary: 'Upload a video (multipart `myVideo`)',
    request: { body: { content: { 'multipart/form-data': { schema: UploadVideoForm } }, required: true } },
    responses: gatewayResponses(StoredFile, 'Stored', [401, 403, 413, 415]),
  }),
  async (c) => {
    const { myVideo, room } = c.req.valid('form')
    const row = await files.storeFile(db(c.env.DB), c.env.BUCKET, c.var.config, c.var.identity!, myVideo, {
      purpose: 'video',
      room,
    })
    return success(c, files.fileView(row))
  },
)

gatewayUploadRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/list',
    summary: 'Uploaded videos, newest first',
    responses: gatewayResponses(z.array(StoredFile), 'Videos', [401, 403]),
  }),
  async (c) => success(c, (await files.listByPrefix(db(c.env.DB), 'videos')).map(files.fileView)),
)

gatewayUploadRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/sms/send',
    summary: 'Send a free-text SMS (the same as POST /sms/custom)',
    description: SMS_DESCRIPTION,
    request: { body: jsonBody(CustomSmsBody) },
    responses: gatewayResponses(SmsResult, 'Sent or logged', [401, 403, 502]),
  }),
  (c) => sendSmsResponse(c, c.req.valid('json')),
)
