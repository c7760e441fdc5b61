import { z } from '@hono/zod-openapi'
import { ClientId, FileIds, MessageContent, MessageId, MessageText, MessageType } from './chat-frames'
import { MessageFile } from './files'
import { SearchTerm } from './common'

export const ChatType = z.enum(['group', 'direct'])
export const MemberRole = z.enum(['owner', 'admin', 'member'])

const UserId = z.string().min(1).max(64)

export const CreateChatBody = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('group'),
      name: z.string().trim().min(1, 'is required').max(100),
      description: z.string().max(1000).optional(),
      member_ids: z.array(UserId).max(200).optional(),
    }),
    z.object({ type: z.literal('direct'), user_id: UserId }),
  ])
  .openapi('CreateChatRequest')

export const JoinChatBody = z
  .object({
    code: z
      .string()
      .trim()
      .length(6, 'must be 6 characters')
      .transform((v) => v.toUpperCase()),
  })
  .openapi('JoinChatRequest')

export const AddMembersBody = z
  .object({ user_ids: z.array(UserId).min(1).max(200) })
  .openapi('AddMembersRequest')

/** `PUT /api/v1/chats/:id` (seed 001 `PUT /api/groups/{id}`): omitted fields keep their value, null clears. */
export const UpdateChatBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(100).optional(),
    description: z.string().max(1000).nullable().optional(),
    avatar_url: z.string().url().max(2048).nullable().optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: 'at least one of name, description, avatar_url is required',
  })
  .openapi('UpdateChatRequest')

export const ChangeRoleBody = z.object({ role: MemberRole }).openapi('ChangeRoleRequest')

export const MessagePreview = z.object({
  id: z.string(),
  seq: z.number(),
  sender: z.object({ id: z.string(), name: z.string() }),
  content: z.string(),
  created_at: z.string(),
  deleted: z.boolean(),
})

export const Chat = z
  .object({
    id: z.string(),
    code: z
      .string()
      .nullable()
      .openapi({ description: 'The join code of a group chat; null for direct chats' }),
    type: ChatType,
    name: z.string().nullable(),
    description: z.string().nullable(),
    avatar_url: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
    last_seq: z.number(),
    last_message_at: z.string().nullable(),
    role: MemberRole.nullable(),
    member_count: z.number(),
  })
  .openapi('Chat')

export const ChatListItem = Chat.extend({
  last_message: MessagePreview.nullable(),
  unread_count: z.number(),
  last_read_seq: z.number(),
}).openapi('ChatListItem')

export const Member = z
  .object({
    user_id: z.string(),
    name: z.string(),
    avatar_url: z.string().nullable(),
    status: z.string(),
    role: MemberRole,
    joined_at: z.string(),
    last_read_seq: z.number(),
  })
  .openapi('ChatMember')

export const ChatIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
})
export const MemberParams = ChatIdParam.extend({
  userId: UserId.openapi({ param: { name: 'userId', in: 'path' } }),
})
export const MessageParams = ChatIdParam.extend({
  messageId: MessageId.openapi({ param: { name: 'messageId', in: 'path' } }),
})

// ── Messages ────────────────────────────────────────────────────────────────────────────

export const Message = z
  .object({
    id: z.string(),
    seq: z.number(),
    chat_id: z.string(),
    sender: z.object({ id: z.string(), name: z.string() }),
    content: z.string().openapi({ description: 'The text, or the caption of an image or file message' }),
    type: MessageType,
    files: z.array(MessageFile).openapi({ description: 'The attached files (none for text messages)' }),
    reply_to: z.string().nullable(),
    client_id: z.string().nullable(),
    created_at: z.string(),
    edited_at: z.string().nullable(),
    deleted: z.boolean(),
    deleted_at: z.string().nullable(),
  })
  .openapi('Message')

export const SendMessageBody = z
  .object({
    content: MessageText.optional().describe(
      'Required for text messages (1–8,000 characters); the optional caption of an image or file message',
    ),
    type: MessageType.optional().describe('text (default), image or file'),
    file_ids: FileIds.optional().describe(
      'Files uploaded to this chat (`POST /api/v1/files` with `chat_id`): image messages take 1–10 images, file messages 1–10 files of any accepted type; text messages none',
    ),
    client_id: ClientId.optional(),
    reply_to: MessageId.optional(),
  })
  .openapi('SendMessageRequest')
export type SendMessageRequest = z.infer<typeof SendMessageBody>

export const EditMessageBody = z.object({ content: MessageContent }).openapi('EditMessageRequest')

export const HistoryQuery = z.object({
  before: z.coerce.number().int().min(1).optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  q: SearchTerm(200).optional(),
})

export const History = z
  .object({ messages: z.array(Message), next_before: z.number().nullable() })
  .openapi('MessageHistory')

export const MarkReadBody = z.object({ seq: z.number().int().min(0).optional() }).openapi('MarkReadRequest')

export const ReadState = z.object({ last_read_seq: z.number(), last_seq: z.number() }).openapi('ReadState')

/**
 * The chat socket's query (`GET /api/v1/chat/ws`): validated by the route before the upgrade
 * (400 naming each bad field) and documented in /openapi.json.
 */
export const ChatSocketQuery = z
  .object({
    token: z.string().optional().openapi({
      description: 'An access token (browsers cannot set headers on WebSockets; or send the bearer)',
    }),
    room_id: z.string().min(1, 'must not be empty').max(64).optional().openapi({
      description:
        'The chat to open the socket in (joined at once). Without it the socket is in no chat until it sends `join_room` (seed 003’s client)',
    }),
    since: z.coerce
      .number()
      .int()
      .min(0)
      .optional()
      .openapi({ description: 'Resume `room_id` after this seq (with `join_room`, send `since` there)' }),
    batch: z.literal('1').optional().openapi({ description: 'Every server frame is a JSON array' }),
    batch_ms: z.coerce.number().int().min(0).max(100).optional(),
  })
  .refine((q) => q.since === undefined || q.room_id !== undefined, {
    message: 'needs room_id (a socket without one resumes with join_room {room_id, since})',
    path: ['since'],
  })

/** `GET /api/v1/chat/rooms/{roomID}/status` (seed 003). */
export const RoomStatus = z
  .object({
    room_id: z.string(),
    last_seq: z.number().openapi({ description: 'The newest message’s seq' }),
    connections: z.number().openapi({ description: 'Open sockets in the chat, all users' }),
    users: z.array(z.object({ user_id: z.string(), name: z.string(), connections: z.number() })).openapi({
      description: 'Who is connected now (sockets opened with the chat or following it with join_room)',
    }),
  })
  .openapi('RoomStatus')

/** Seed 003's `{roomID}` path parameter: a chat id. */
export const RoomIdParam = z.object({
  roomID: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'roomID', in: 'path' }, description: 'The chat id' }),
})
