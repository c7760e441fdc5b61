import { z } from 'zod'
import { MessageType } from './chat-frames'
import { MessageFile } from './files'

/**
 * Server → client frames of the JSON chat protocol (`/api/v1/chat/ws`), as the chat's object
 * sends them (src/objects/protocols/json.ts builds them; test/worker/chat-server-frames.test.ts
 * checks real frames against these schemas). They document the protocol in `/asyncapi.json`.
 */

const RoomId = z.string().describe('The chat id')
const Seq = z.number().int().nonnegative().describe('Position in the chat’s gap-free order')
const Time = z.string().describe('ISO-8601 time')
const UserId = z.string().describe('A user id')

/** The message as history and every message frame carry it under `data`. */
export const ChatMessageData = z.object({
  message_id: z.string(),
  seq: Seq,
  content: z.string(),
  message_type: MessageType,
  files: z.array(MessageFile),
  user_uuid: UserId,
  user_fullname: z.string(),
  user_email: z.string(),
  created_at: Time,
  reply_to: z.string().nullable(),
  client_id: z.string().nullable(),
  edited_at: Time.nullable(),
  deleted: z.boolean(),
})

export const NewMessageFrame = z
  .object({
    type: z.literal('new_message'),
    room_id: RoomId,
    seq: Seq,
    user_uuid: UserId,
    content: z.string().describe('The text, or the caption of an image or file message (may be empty)'),
    message_type: MessageType.describe('text, image or file'),
    files: z.array(MessageFile).describe('The attached files (none for text)'),
    timestamp: Time,
    message_id: z.string(),
    client_id: z.string().nullable(),
    reply_to: z.string().nullable(),
    data: ChatMessageData,
  })
  .describe('A message, to every member (the sender included), in seq order; also what a resume replays')

export const MessageAckFrame = z
  .object({
    type: z.literal('message_ack'),
    room_id: RoomId,
    client_id: z.string().nullable(),
    message_id: z.string(),
    seq: Seq,
    created_at: Time,
    duplicate: z.boolean().describe('true when this client_id was sent before: nothing new was stored'),
  })
  .describe('To the sender only, after the message is written')

export const MessageEditedFrame = z
  .object({
    type: z.literal('message_edited'),
    room_id: RoomId,
    message_id: z.string(),
    seq: Seq,
    user_uuid: UserId,
    content: z.string(),
    edited_at: Time,
    data: ChatMessageData,
  })
  .describe('The sender edited a message')

export const MessageDeletedFrame = z
  .object({
    type: z.literal('message_deleted'),
    room_id: RoomId,
    message_id: z.string(),
    seq: Seq,
    user_uuid: UserId.describe('Who deleted it'),
    deleted_at: Time,
  })
  .describe('A message was soft-deleted')

const presence = (type: 'user_joined' | 'user_left', what: string) =>
  z
    .object({
      type: z.literal(type),
      room_id: RoomId,
      user_uuid: UserId,
      data: z.object({ user_uuid: UserId, user_fullname: z.string() }),
    })
    .describe(what)

export const UserJoinedFrame = presence(
  'user_joined',
  'A user’s first connection entered the chat (a joiner who was present gets it as confirmation)',
)
export const UserLeftFrame = presence(
  'user_left',
  'A user’s last connection left the chat (and the answer to leave_room)',
)

export const UserStatusFrame = z
  .object({
    type: z.literal('user_status'),
    room_id: RoomId,
    user_uuid: UserId,
    status: z.enum(['online', 'offline', 'away', 'dnd']),
    data: z.object({ user_id: UserId, status: z.enum(['online', 'offline', 'away', 'dnd']) }),
  })
  .describe('Presence (online/offline) or a status set with PUT /api/v1/users/status')

export const TypingFrame = z
  .object({
    type: z.literal('typing'),
    room_id: RoomId,
    user_uuid: UserId,
    user_fullname: z.string(),
    typing: z.boolean(),
  })
  .describe('Someone else started or stopped typing (expires after 5 s without typing_start)')

export const ReadFrame = z
  .object({ type: z.literal('read'), room_id: RoomId, user_uuid: UserId, seq: Seq })
  .describe('A member’s read pointer moved forward')

export const ChatUpdatedFrame = z
  .object({
    type: z.literal('chat_updated'),
    room_id: RoomId,
    user_uuid: UserId.describe('Who changed it (the owner or an admin)'),
    data: z.object({
      id: RoomId,
      name: z.string().nullable(),
      description: z.string().nullable(),
      avatar_url: z.string().nullable(),
      updated_at: Time,
    }),
  })
  .describe('The chat’s name, description or avatar changed (PUT /api/v1/chats/{id})')

export const ChatDeletedFrame = z
  .object({
    type: z.literal('chat_deleted'),
    room_id: RoomId,
    user_uuid: UserId.describe('Who deleted it (the owner)'),
  })
  .describe(
    'The chat was deleted (DELETE /api/v1/chats/{id}): a socket opened with it is closed next (1000 "chat deleted"); a socket following it from another chat stops following it',
  )

export const ChatErrorFrame = z
  .object({
    type: z.literal('error'),
    code: z.string().describe('bad_request, validation_failed, forbidden, not_found, conflict, …'),
    message: z.string(),
    content: z.string().describe('The message again (seed 003 clients read it here)'),
    ref: z.string().optional().describe('The type of the frame that caused it'),
    room_id: z.string().optional(),
    client_id: z.string().optional(),
    next_since: Seq.optional().describe('Resume beyond the replay limit: page the rest over REST'),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('A frame was refused; the connection stays open')

/** Every server → client frame of the JSON chat protocol. */
export const ChatServerFrame = z.discriminatedUnion('type', [
  NewMessageFrame,
  MessageAckFrame,
  MessageEditedFrame,
  MessageDeletedFrame,
  UserJoinedFrame,
  UserLeftFrame,
  UserStatusFrame,
  TypingFrame,
  ReadFrame,
  ChatUpdatedFrame,
  ChatDeletedFrame,
  ChatErrorFrame,
])
export type ChatServerFrame = z.infer<typeof ChatServerFrame>
