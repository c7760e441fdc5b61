import { z } from '@hono/zod-openapi'

export const LiveChatUserType = z.enum(['customer', 'agent'])
export type LiveChatUserType = z.infer<typeof LiveChatUserType>

/**
 * The live-chat socket's query (`GET /ws/{session_id}/{user_id}/{user_type}`): validated by the
 * route before the upgrade (400 naming each bad field, as on the chat socket) and documented in
 * /openapi.json.
 */
export const LiveChatSocketQuery = z.object({
  token: z
    .string()
    .optional()
    .openapi({ description: 'An access token (browsers cannot set headers on WebSockets)' }),
  since: z.coerce.number().int().min(0).optional().openapi({ description: 'Resume after this seq' }),
})

/** Client frames on the live-chat socket (seed 004), validated in the session's object. */
export const LiveChatFrame = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('send_message'),
      data: z.object({
        message: z.string().trim().min(1, 'is required').max(4000),
        client_id: z.string().min(1).max(128).optional(),
      }),
    })
    .describe('Send a message (new_message to everyone, message_ack to you); client_id makes it idempotent'),
  z
    .object({ type: z.literal('typing'), data: z.object({ is_typing: z.boolean() }) })
    .describe('Typing on or off'),
  z.object({ type: z.literal('typing_start') }).describe('Typing on (expires after 5 s)'),
  z.object({ type: z.literal('typing_stop') }).describe('Typing off'),
])

export const CreateLiveChatBody = z
  .object({ subject: z.string().trim().max(200).optional() })
  .openapi('CreateLiveChatRequest')

export const LiveChatSessionView = z
  .object({
    id: z.string(),
    customer_id: z.string(),
    agent_id: z.string().nullable(),
    subject: z.string().nullable(),
    status: z.enum(['open', 'closed']),
    created_at: z.string(),
    closed_at: z.string().nullable(),
    ws_path: z.string().openapi({ description: 'Connect with ?token=<access token>' }),
  })
  .openapi('LiveChatSession')

/** Same path parameter as live sessions use. */
export { SessionIdParam } from './live'

export const ConnectionStatusView = z
  .object({
    users: z.record(
      z.string(),
      z.object({ user_id: z.string(), user_type: LiveChatUserType, joined_at: z.string() }),
    ),
    customer_connected: z.boolean(),
    agent_connected: z.boolean(),
    total_customer: z.number().int(),
    total_agent: z.number().int(),
  })
  .openapi('ConnectionStatus')

export const LiveChatMessageView = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    session_id: z.string(),
    user_id: z.string(),
    user_type: LiveChatUserType,
    name: z.string(),
    message: z.string(),
    client_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('LiveChatMessage')

export const LiveChatHistoryQuery = z.object({
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
})

export const LiveChatListQuery = z.object({ status: z.enum(['open', 'closed']).optional() })
