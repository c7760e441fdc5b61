import { z, type OpenAPIHono } from '@hono/zod-openapi'
import { ErrorBody, GatewayErrorBody } from '../schemas/common'
import { ChatSocketQuery } from '../schemas/chats'
import { SessionIdParam } from '../schemas/live'
import { LiveChatSocketQuery } from '../schemas/livechat'
import type { AppEnv } from '../env'

/**
 * The WebSocket endpoints in `/openapi.json`: the upgrade request, its query and its refusals.
 * Their handlers (chat-ws.ts, livechat-ws.ts, live-ws.ts, socketio.ts) check before upgrading and
 * answer refusals as plain HTTP; what flows over the socket is in `/asyncapi.json`.
 */
export function documentWebSocketEndpoints(app: OpenAPIHono<AppEnv>) {
  const upgrade = { 101: { description: 'Switching Protocols: the socket is open (frames: /asyncapi.json)' } }
  const refusals = (body: z.ZodTypeAny, codes: Record<number, string>) =>
    Object.fromEntries(
      Object.entries(codes).map(([code, description]) => [
        code,
        { description, content: { 'application/json': { schema: body } } },
      ]),
    )
  const upgradeHeaders = z.object({
    upgrade: z.literal('websocket').openapi({ description: 'A WebSocket upgrade request' }),
  })
  const token = z
    .string()
    .openapi({ description: 'An access token (browsers cannot set headers on WebSockets)' })

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/api/v1/chat/ws',
    tags: ['Chat'],
    summary: 'WebSocket: the JSON chat protocol (asyncapi.json channel `chat`)',
    description:
      'Opens a socket in the chat’s object, in the chat at once. The token and membership are checked before the upgrade. `since` replays every message after that seq (up to REPLAY_LIMIT). Without `room_id` (seed 003’s client) the socket opens in no chat and follows chats with `join_room` {room_id, since?}.',
    request: {
      headers: upgradeHeaders,
      query: ChatSocketQuery,
    },
    responses: {
      ...upgrade,
      ...refusals(ErrorBody, {
        400: '`room_id`, `since`, `batch` or `batch_ms` malformed, or `since` without `room_id` (`validation_failed` naming each)',
        401: 'No or bad token',
        403: 'Not a member of the chat',
        404: 'No such chat',
        426: 'Not a WebSocket upgrade',
        503: 'The chat has MAX_CONNECTIONS_PER_ROOM sockets (`rate_limited`)',
      }),
    },
  })

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/api/v1/live/sessions/{session_id}/ws',
    tags: ['Live sessions'],
    summary: 'WebSocket: a live session’s events (asyncapi.json channel `liveSession`)',
    description:
      'The owner, admins and participants who joined (and were not kicked) may connect. Past MAX_CONNECTIONS_PER_ROOM sockets the session’s object places new ones in shard objects (same frames, same order).',
    request: { headers: upgradeHeaders, params: SessionIdParam, query: z.object({ token }) },
    responses: {
      ...upgrade,
      ...refusals(ErrorBody, {
        401: 'No or bad token',
        403: 'Join the session first, or you were kicked',
        404: 'No such session, or a private one you cannot see',
        409: 'The session has ended',
        426: 'Not a WebSocket upgrade',
        503: 'The shards the session named were full at each of four tries (`rate_limited`)',
      }),
    },
  })

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/ws/{session_id}/{user_id}/{user_type}',
    tags: ['Live chat'],
    summary: 'WebSocket: a live-chat session (seed 004; asyncapi.json channel `liveChat`)',
    description:
      '`user_id` must be the token’s user; `customer` must be the session’s customer; `agent` needs an agent or admin token, and the first agent to connect is assigned.',
    request: {
      headers: upgradeHeaders,
      params: z.object({
        session_id: z.string().openapi({ param: { name: 'session_id', in: 'path' } }),
        user_id: z.string().openapi({ param: { name: 'user_id', in: 'path' } }),
        user_type: z.enum(['customer', 'agent']).openapi({ param: { name: 'user_type', in: 'path' } }),
      }),
      query: LiveChatSocketQuery,
    },
    responses: {
      ...upgrade,
      ...refusals(GatewayErrorBody, {
        400: 'Not an upgrade, `user_type` is not customer or agent, or `since` is not a whole number ≥ 0 (`validation_failed` naming it)',
        401: 'No or bad token',
        403: 'Not this session’s customer, not the token’s user, or another agent is assigned',
        404: 'No such session',
        409: 'The session is closed',
      }),
    },
  })

  const engineError = z
    .object({ code: z.number().int(), message: z.string() })
    .openapi('EngineIoError', { description: 'Engine.IO’s own error body' })
  const engineQuery = z.object({
    EIO: z.literal('4'),
    transport: z.enum(['websocket', 'polling']),
    sid: z.string().optional().openapi({ description: 'The session (polling requests and the upgrade)' }),
    room: z
      .string()
      .optional()
      .openapi({ description: 'Routing hint: the room whose object should hold a new session' }),
    token: z
      .string()
      .optional()
      .openapi({ description: 'A LiveKit token; its room is used as the routing hint' }),
  })
  for (const method of ['get', 'post'] as const)
    app.openAPIRegistry.registerPath({
      method,
      path: '/socket.io/',
      tags: ['Socket.IO'],
      summary:
        method === 'get'
          ? 'Engine.IO 4: open a session (websocket upgrade, or a long-polling GET)'
          : 'Engine.IO 4: long-polling POST of client packets',
      description:
        'Use socket.io-client: `io(url + "/" + room, { auth: { token } })`. Namespaces and events are in /asyncapi.json; refusals of a namespace arrive as Socket.IO CONNECT_ERROR, not HTTP.',
      request: { query: engineQuery },
      responses: {
        ...(method === 'get' ? upgrade : {}),
        200: {
          description: 'Polling: Engine.IO packets (text)',
          content: { 'text/plain': { schema: z.string() } },
        },
        400: {
          description:
            'Unsupported EIO (code 5), unknown transport (0), transport/upgrade mismatch (3), unknown sid (1)',
          content: { 'application/json': { schema: engineError } },
        },
      },
    })
}
