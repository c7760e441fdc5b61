import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import { router } from '../lib/router'
import { requireUser } from '../middleware/auth'
import { bearerSecurity, jsonBody, modernResponses } from '../schemas/common'
import {
  ConnectionStatusView,
  CreateLiveChatBody,
  LiveChatHistoryQuery,
  LiveChatListQuery,
  LiveChatMessageView,
  LiveChatSessionView,
  SessionIdParam,
} from '../schemas/livechat'
import * as livechat from '../services/livechat'

/** `/api/v1/livechat` — customer/agent support sessions (seed 004). */
export const liveChatRoutes = router()
liveChatRoutes.use('*', requireUser())

const common = { tags: ['Live chat'], security: bearerSecurity }

liveChatRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/sessions',
    summary: 'Open a session as its customer',
    request: { body: { ...jsonBody(CreateLiveChatBody), required: false } },
    responses: modernResponses(201, LiveChatSessionView, 'Opened', [401, 403]),
  }),
  async (c) => {
    const row = await livechat.createSession(
      c.env,
      db(c.env.DB),
      c.var.identity!,
      c.req.valid('json')?.subject,
    )
    return ok(c, livechat.sessionView(row), 201)
  },
)

liveChatRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/sessions',
    summary: 'Sessions: all for agents and admins, your own for customers',
    request: { query: LiveChatListQuery },
    responses: modernResponses(
      200,
      z.object({ sessions: z.array(LiveChatSessionView) }),
      'Sessions',
      [401, 403],
    ),
  }),
  async (c) => {
    const rows = await livechat.listSessions(db(c.env.DB), c.var.identity!, c.req.valid('query').status)
    return ok(c, { sessions: rows.map(livechat.sessionView) })
  },
)

liveChatRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/sessions/{session_id}',
    summary: 'One session',
    request: { params: SessionIdParam },
    responses: modernResponses(200, LiveChatSessionView, 'The session', [401, 403, 404]),
  }),
  async (c) => {
    const row = await livechat.getSession(db(c.env.DB), c.req.valid('param').session_id)
    livechat.requireParticipant(row, c.var.identity!)
    return ok(c, livechat.sessionView(row))
  },
)

liveChatRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/sessions/{session_id}/messages',
    summary: 'Message history, newest first (`before` = a seq)',
    request: { params: SessionIdParam, query: LiveChatHistoryQuery },
    responses: modernResponses(
      200,
      z.object({ messages: z.array(LiveChatMessageView), next_before: z.number().nullable() }),
      'Messages',
      [401, 403, 404],
    ),
  }),
  async (c) => {
    const row = await livechat.getSession(db(c.env.DB), c.req.valid('param').session_id)
    livechat.requireParticipant(row, c.var.identity!)
    const { before, limit } = c.req.valid('query')
    const messages = await livechat.liveChatObject(c.env, row.id).history(before, limit)
    const last = messages.at(-1)
    return ok(c, {
      messages,
      next_before: messages.length === limit && last && last.seq > 1 ? last.seq : null,
    })
  },
)

liveChatRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/sessions/{session_id}/close',
    summary: 'Close a session (customer, its agent or an admin); its sockets are told and closed',
    request: { params: SessionIdParam },
    responses: modernResponses(200, LiveChatSessionView, 'Closed', [401, 403, 404]),
  }),
  async (c) => {
    const d = db(c.env.DB)
    const row = await livechat.getSession(d, c.req.valid('param').session_id)
    return ok(c, livechat.sessionView(await livechat.closeSession(c.env, d, row, c.var.identity!)))
  },
)

/** Seed 004's exact `GET /api/session/:session_id/connection-status`. */
export const connectionStatusRoutes = router()
connectionStatusRoutes.use('*', requireUser())

connectionStatusRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{session_id}/connection-status',
    summary: 'Who is connected to a live-chat session (seed 004 shape)',
    description: '`users` is keyed by user id; totals count distinct connected users of each type.',
    request: { params: SessionIdParam },
    responses: modernResponses(200, ConnectionStatusView, 'Connection status', [401, 403, 404]),
  }),
  async (c) => {
    const row = await livechat.getSession(db(c.env.DB), c.req.valid('param').session_id)
    livechat.requireParticipant(row, c.var.identity!)
    const data = await livechat.liveChatObject(c.env, row.id).status()
    return ok(c, data, 200, 'Connection status retrieved successfully')
  },
)
