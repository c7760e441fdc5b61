import { createRoute } from '@hono/zod-openapi'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import { router } from '../lib/router'
import {
  ChatIdParam,
  EditMessageBody,
  History,
  HistoryQuery,
  MarkReadBody,
  Message,
  MessageParams,
  ReadState,
  SendMessageBody,
} from '../schemas/chats'
import { bearerSecurity, jsonBody, modernResponses } from '../schemas/common'
import * as messages from '../services/messages'

/** `/api/v1/chats/:id/messages` and read state (mounted by the chat routes, which authenticate). */
export const messageRoutes = router()

const common = { tags: ['Messages'], security: bearerSecurity }

messageRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{id}/messages',
    summary: 'History, newest first (`before` a seq for older pages), or search with `q`',
    description:
      'Without `q`, pages come from the chat object (the authoritative ordered log): `next_before` is the `before` of the next (older) page, null at the start. `after=<seq>` answers oldest first instead (catch-up). With `q`, matches come from the D1 index (content contains `q`, case-insensitive).',
    request: { params: ChatIdParam, query: HistoryQuery },
    responses: modernResponses(200, History, 'A page of messages', [401, 403, 404]),
  }),
  async (c) =>
    ok(
      c,
      await messages.history(
        c.env,
        db(c.env.DB),
        c.req.valid('param').id,
        c.var.identity!.id,
        c.req.valid('query'),
      ),
    ),
)

messageRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/{id}/messages',
    summary: 'Send a message (same path and result as a WebSocket send_message)',
    description:
      'Answers 201 once the message is stored in the chat object. A repeated `client_id` answers 200 with the first message and stores nothing.',
    request: { params: ChatIdParam, body: jsonBody(SendMessageBody) },
    responses: {
      ...modernResponses(201, Message, 'The stored message', [401, 403, 404]),
      ...modernResponses(200, Message, 'Already sent with this client_id'),
    },
  }),
  async (c) => {
    const { message, duplicate } = await messages.sendMessage(
      c.env,
      db(c.env.DB),
      c.req.valid('param').id,
      c.var.identity!,
      c.req.valid('json'),
    )
    return ok(c, message, duplicate ? 200 : 201)
  },
)

messageRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{id}/messages/{messageId}',
    summary: 'One message',
    request: { params: MessageParams },
    responses: modernResponses(200, Message, 'The message', [401, 403, 404]),
  }),
  async (c) => {
    const { id, messageId } = c.req.valid('param')
    return ok(c, await messages.getMessage(c.env, db(c.env.DB), id, c.var.identity!.id, messageId))
  },
)

messageRoutes.openapi(
  createRoute({
    ...common,
    method: 'patch',
    path: '/{id}/messages/{messageId}',
    summary: 'Edit my message',
    request: { params: MessageParams, body: jsonBody(EditMessageBody) },
    responses: modernResponses(200, Message, 'The edited message', [401, 403, 404, 409]),
  }),
  async (c) => {
    const { id, messageId } = c.req.valid('param')
    return ok(
      c,
      await messages.editMessage(
        c.env,
        db(c.env.DB),
        id,
        c.var.identity!,
        messageId,
        c.req.valid('json').content,
      ),
    )
  },
)

messageRoutes.openapi(
  createRoute({
    ...common,
    method: 'delete',
    path: '/{id}/messages/{messageId}',
    summary: 'Delete a message (soft: the tombstone keeps its seq)',
    description: 'The sender, or the chat owner or an admin, may delete.',
    request: { params: MessageParams },
    responses: modernResponses(200, Message, 'The tombstone', [401, 403, 404]),
  }),
  async (c) => {
    const { id, messageId } = c.req.valid('param')
    return ok(c, await messages.deleteMessage(c.env, db(c.env.DB), id, c.var.identity!, messageId))
  },
)

messageRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/{id}/read',
    summary: 'Mark read up to `seq` (default: the newest message)',
    request: {
      params: ChatIdParam,
      body: { content: { 'application/json': { schema: MarkReadBody } }, required: false },
    },
    responses: modernResponses(200, ReadState, 'My read pointer', [401, 403, 404]),
  }),
  async (c) => {
    // The body is optional: without a JSON content type the validator skips it.
    const body = c.req.valid('json') as { seq?: number } | undefined
    return ok(
      c,
      await messages.markRead(c.env, db(c.env.DB), c.req.valid('param').id, c.var.identity!, body?.seq),
    )
  },
)
