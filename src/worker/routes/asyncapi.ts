import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env'
import { channelsAndOperations, framesOf, type ChannelSpec, type MessageSpec } from '../lib/asyncapi'
import { ClientFrame } from '../schemas/chat-frames'
import { ChatServerFrame } from '../schemas/chat-server-frames'
import { LiveChatFrame } from '../schemas/livechat'
import { LiveChatServerFrame } from '../schemas/livechat-server-frames'
import { LivePingFrame, LiveServerFrame } from '../schemas/live-session-frames'
import { SOCKET_IO_NAMESPACES } from '../schemas/socketio-events'
import { VERSION } from './system'

const ws = (query: z.ZodObject) => ({
  ws: {
    method: 'GET',
    query: z.toJSONSchema(query, { target: 'draft-7', io: 'input' }),
    bindingVersion: '0.1.0',
  },
})

/**
 * The raw WebSocket protocols and every Socket.IO namespace, as AsyncAPI channels: built on the
 * first request for the document, not when an isolate loads (the query schemas' JSON Schema
 * conversion is a few ms of every isolate's startup otherwise, rooms' included).
 */
let built: ChannelSpec[] | undefined
const channelSpecs = (): ChannelSpec[] =>
  (built ??= [
    {
      id: 'chat',
      address: '/api/v1/chat/ws',
      title: 'Chat: JSON WebSocket protocol',
      description:
        'A socket opened with room_id lives in that chat’s object and is in the chat at once; one opened with only a token is in no chat until join_room. Either follows up to 20 chats with join_room. The token and membership are checked before the upgrade (see GET /api/v1/chat/ws in /openapi.json for the refusals). With batch=1 every server frame is a JSON array of these frames.',
      servers: ['websocket'],
      bindings: ws(
        z.object({
          token: z.string().describe('An access token (browsers cannot set headers on WebSockets)'),
          room_id: z
            .string()
            .optional()
            .describe('The chat to open the socket in (omit it to join_room later)'),
          since: z
            .string()
            .optional()
            .describe('With room_id: replay every message with a greater seq (resume)'),
          batch: z.literal('1').optional().describe('Coalesce frames into JSON arrays'),
          batch_ms: z.string().optional().describe('0–100 ms to collect a batch'),
        }),
      ),
      messages: [...framesOf(ClientFrame, 'client'), ...framesOf(ChatServerFrame, 'server')],
    },
    {
      id: 'liveChat',
      address: '/ws/{session_id}/{user_id}/{user_type}',
      title: 'Live chat (seed 004)',
      description:
        'A customer/agent support session. user_id must be the token’s user; customer must be the session’s customer; agent needs an agent or admin token (the first agent to connect is assigned).',
      servers: ['websocket'],
      parameters: {
        session_id: 'The live-chat session',
        user_id: 'Your user id (the token’s)',
        user_type: 'customer or agent',
      },
      bindings: ws(
        z.object({
          token: z.string().describe('An access token'),
          since: z.string().optional().describe('Replay every message with a greater seq'),
        }),
      ),
      messages: [...framesOf(LiveChatFrame, 'client'), ...framesOf(LiveChatServerFrame, 'server')],
    },
    {
      id: 'liveSession',
      address: '/api/v1/live/sessions/{session_id}/ws',
      title: 'Live session events',
      description:
        'Who is watching and what the host changed, around the LiveKit room. The owner, admins and participants who joined may connect.',
      servers: ['websocket'],
      parameters: { session_id: 'The live session' },
      bindings: ws(z.object({ token: z.string().describe('An access token') })),
      messages: [
        {
          key: 'ping',
          name: 'ping',
          summary: LivePingFrame.description!,
          schema: LivePingFrame,
          from: 'client',
        },
        ...framesOf(LiveServerFrame, 'server'),
      ],
    },
    ...SOCKET_IO_NAMESPACES.map((ns): ChannelSpec => ({
      id: ns.id,
      address: ns.path,
      title: `Socket.IO ${ns.path} — ${ns.title}`,
      description: `Socket.IO namespace ${ns.path} over /socket.io/ (Engine.IO 4, Socket.IO 5; websocket and polling). Connect with ${ns.connect}. Refusals arrive as connect_error with the reason in err.message.`,
      servers: ['socketio'],
      ...(ns.path === '/{room}' ? { parameters: { room: 'The conference room’s name' } } : {}),
      messages: ns.events.map((e): MessageSpec => ({
        key: e.from === 'client' ? e.name : `${e.name}.server`,
        name: e.name,
        summary: e.summary,
        schema: e.payload,
        from: e.from === 'client' ? 'client' : 'server',
        ...(e.ack ? { ack: e.ack } : {}),
      })),
    })),
  ])

/**
 * The AsyncAPI 3.0 document of every realtime protocol, generated from the zod schemas the code
 * validates with (client frames) and tests server frames against. `host` is where it is served.
 */
export function asyncApiDocument(host: string, secure: boolean) {
  const { channels, operations } = channelsAndOperations(channelSpecs())
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Switchboard realtime',
      version: VERSION,
      description:
        'The realtime protocols of Switchboard: the JSON chat protocol, live chat, the live-session socket and the Socket.IO namespaces. Operations are from the server’s side: receive = the client sends it, send = the server sends it. The HTTP API is in /openapi.json.',
    },
    defaultContentType: 'application/json',
    servers: {
      websocket: {
        host,
        protocol: secure ? 'wss' : 'ws',
        description: 'Raw WebSocket endpoints; one JSON object per text frame',
      },
      socketio: {
        host,
        pathname: '/socket.io/',
        protocol: secure ? 'wss' : 'ws',
        description:
          'Socket.IO 5 over Engine.IO 4 (websocket, or HTTP long-polling with upgrade). Channels are namespaces; messages are events.',
      },
    },
    channels,
    operations,
  }
}

/** `GET /asyncapi.json`. */
export const asyncApiRoutes = new Hono<AppEnv>()

asyncApiRoutes.get('/asyncapi.json', (c) => {
  const url = new URL(c.req.url)
  return c.json(asyncApiDocument(url.host, url.protocol === 'https:'))
})
