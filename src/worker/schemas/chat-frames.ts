import { z } from 'zod'
import { MAX_FILES_PER_MESSAGE, MessageType } from '../../objects/room/commands'

/** Chat ids are strings here; seed 003's clients send numbers, which are accepted and stringified. */
const RoomId = z.union([z.string().min(1).max(64), z.number().int().nonnegative()]).transform(String)
const Seq = z.number().int().nonnegative()

/** Longest message content, in characters, for REST and WebSocket sends alike. */
export const MAX_CONTENT_CHARS = 8000

export const MessageContent = z.string().trim().min(1, 'must not be empty').max(MAX_CONTENT_CHARS)
export const ClientId = z.string().min(1).max(64)
export const MessageId = z.string().min(1).max(64)
/** A text message's content, or the optional caption of an image or file message. */
export const MessageText = z.string().trim().max(MAX_CONTENT_CHARS)
/** Ids of files uploaded to the chat with `POST /api/v1/files` (`chat_id`). */
export const FileIds = z.array(z.string().min(1).max(64)).min(1).max(MAX_FILES_PER_MESSAGE)
export { MessageType }

/** Every client → server frame of the JSON WebSocket protocol (SPEC §5.2, seed 003). */
export const ClientFrame = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('join_room'), room_id: RoomId, since: Seq.optional() })
    .describe('Follow a chat you are a member of (on the same socket) and replay after since'),
  z
    .object({ type: z.literal('leave_room'), room_id: RoomId })
    .describe('Stop following a chat (answered with your own user_left)'),
  z
    .object({
      type: z.literal('send_message'),
      room_id: RoomId,
      content: MessageText.optional().describe('Required for text; the caption of an image or file message'),
      message_type: MessageType.optional().describe('text (default), image or file'),
      file_ids: FileIds.optional().describe(
        'Files uploaded to this chat; image and file messages need one or more',
      ),
      client_id: ClientId.optional(),
      reply_to: MessageId.optional(),
    })
    .describe('Store and broadcast a message (new_message to all), ack the sender (message_ack)'),
  z
    .object({ type: z.literal('typing_start'), room_id: RoomId })
    .describe('Typing indicator on (expires after 5 s without another typing_start)'),
  z.object({ type: z.literal('typing_stop'), room_id: RoomId }).describe('Typing indicator off'),
  z
    .object({ type: z.literal('mark_read'), room_id: RoomId, seq: Seq })
    .describe('Move your read pointer forward (clamped to the newest seq)'),
  z
    .object({
      type: z.literal('edit_message'),
      room_id: RoomId,
      message_id: MessageId,
      content: MessageContent,
    })
    .describe('The sender edits a message'),
  z
    .object({ type: z.literal('delete_message'), room_id: RoomId, message_id: MessageId })
    .describe('Soft delete: the sender, or the chat’s owner/admin'),
])

/** A typed room command: what a frame (or a REST call) asks a chat room to do. */
export type RoomCommand = z.output<typeof ClientFrame>
export type RoomCommandType = RoomCommand['type']
export const CLIENT_FRAME_TYPES = ClientFrame.options.map((o) => o.shape.type.value)
