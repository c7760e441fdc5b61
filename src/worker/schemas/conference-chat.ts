import { z } from '@hono/zod-openapi'
import { MessageType } from './chat-frames'
import { MessageFile } from './files'
import { RoomName } from './rooms'

/** One room chat message as Socket.IO `chat-message` delivers it (client fields are kept). */
export const RoomChatMessage = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    room: z.string(),
    message: z.unknown(),
    sender: z.object({ identity: z.string(), name: z.string() }),
    type: MessageType.describe('text, image or file'),
    files: z
      .array(MessageFile)
      .optional()
      .openapi({ description: 'Image and file messages: the files, uploaded with this room as `room`' }),
    client_id: z.string().optional(),
    created_at: z.string(),
  })
  .passthrough()
  .openapi('RoomChatMessage')

export const ChatHistoryQuery = z.object({
  room: RoomName,
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ description: 'Only messages with seq < before' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

export const ChatHistory = z
  .object({
    room: z.string(),
    messages: z.array(RoomChatMessage).openapi({ description: 'Oldest first' }),
    next_before: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Pass as `before` for the previous page' }),
  })
  .openapi('ChatHistory')

export const ChatNotificationQuery = z.object({
  room: RoomName,
  since: z.coerce.number().int().min(0).default(0).openapi({ description: 'The last seq the reader saw' }),
})

export const ChatNotification = z
  .object({
    room: z.string(),
    last_seq: z.number().int(),
    unread: z.number().int(),
    last_message: RoomChatMessage.nullable(),
  })
  .openapi('ChatNotification')
