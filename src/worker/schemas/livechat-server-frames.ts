import { z } from 'zod'

/**
 * Server → client frames of the live-chat socket (seed 004, `/ws/:session_id/:user_id/:user_type`),
 * as objects/live-chat-session.ts sends them. Documentation for `/asyncapi.json`; real frames are
 * checked against them in test/worker/livechat-frames.test.ts.
 */

const UserType = z.enum(['customer', 'agent'])

const ConnectionStatus = z.object({
  users: z.record(z.string(), z.object({ user_id: z.string(), user_type: UserType, joined_at: z.string() })),
  customer_connected: z.boolean(),
  agent_connected: z.boolean(),
  total_customer: z.number().int(),
  total_agent: z.number().int(),
})

export const LiveChatNewMessageFrame = z
  .object({
    type: z.literal('new_message'),
    data: z.object({
      id: z.string(),
      seq: z.number().int(),
      session_id: z.string(),
      user_id: z.string(),
      user_type: UserType,
      name: z.string(),
      message: z.string(),
      client_id: z.string().nullable(),
      created_at: z.string(),
    }),
  })
  .describe(
    'A message, to everyone in the session (the sender included), in seq order; also replayed after ?since=',
  )

export const LiveChatAckFrame = z
  .object({
    type: z.literal('message_ack'),
    data: z.object({
      client_id: z.string().nullable(),
      id: z.string(),
      seq: z.number().int(),
      duplicate: z.boolean(),
    }),
  })
  .describe('To the sender, after the message is written')

export const LiveChatTypingFrame = z
  .object({
    type: z.literal('typing'),
    data: z.object({ user_id: z.string(), user_type: UserType, is_typing: z.boolean() }),
  })
  .describe('The other side typing (expires after 5 s)')

const presence = (type: 'user_connected' | 'user_disconnected') =>
  z
    .object({
      type: z.literal(type),
      data: z.object({ user_id: z.string(), user_type: UserType, status: ConnectionStatus }),
    })
    .describe(
      `A socket ${type === 'user_connected' ? 'opened' : 'closed'}, with the session’s connection status`,
    )

export const LiveChatUserConnectedFrame = presence('user_connected')
export const LiveChatUserDisconnectedFrame = presence('user_disconnected')

export const LiveChatSessionClosedFrame = z
  .object({ type: z.literal('session_closed'), data: z.object({ reason: z.string() }) })
  .describe('The session was closed; every socket is then closed (1000)')

export const LiveChatErrorFrame = z
  .object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('A frame was refused; the socket stays open')

/** Every server → client frame of the live-chat socket. */
export const LiveChatServerFrame = z.discriminatedUnion('type', [
  LiveChatNewMessageFrame,
  LiveChatAckFrame,
  LiveChatTypingFrame,
  LiveChatUserConnectedFrame,
  LiveChatUserDisconnectedFrame,
  LiveChatSessionClosedFrame,
  LiveChatErrorFrame,
])
