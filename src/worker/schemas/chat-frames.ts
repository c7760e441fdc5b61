import { z } from 'zod'

/** Chat ids are strings here; seed 003's clients send numbers, which are accepted and stringified. */
const RoomId = z.union([z.string().min(1).max(64), z.number().int().nonnegative()]).transform(String)
const Seq = z.number().int().nonnegative()

/** Longest message content, in characters, for REST and WebSocket sends alike. */
export const MAX_CONTENT_CHARS = 8000

export const MessageContent = z.string().trim().min(1, 'must not be empty').max(MAX_CONTENT_CHARS)
export const ClientId = z.string().min(1).max(64)
export const MessageId = z.string().min(1).max(64)

/** Every client → server frame of the JSON WebSocket protocol (SPEC §5.2, seed 003). */
export const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join_room'), room_id: RoomId, since: Seq.optional() }),
  z.object({ type: z.literal('leave_room'), room_id: RoomId }),
  z.object({
    type: z.literal('send_message'),
    room_id: RoomId,
    content: MessageContent,
    client_id: ClientId.optional(),
    reply_to: MessageId.optional(),
  }),
  z.object({ type: z.literal('typing_start'), room_id: RoomId }),
  z.object({ type: z.literal('typing_stop'), room_id: RoomId }),
  z.object({ type: z.literal('mark_read'), room_id: RoomId, seq: Seq }),
  z.object({
    type: z.literal('edit_message'),
    room_id: RoomId,
    message_id: MessageId,
    content: MessageContent,
  }),
  z.object({ type: z.literal('delete_message'), room_id: RoomId, message_id: MessageId }),
])

/** A typed room command: what a frame (or a REST call) asks a chat room to do. */
export type RoomCommand = z.output<typeof ClientFrame>
export type RoomCommandType = RoomCommand['type']
export const CLIENT_FRAME_TYPES = ClientFrame.options.map((o) => o.shape.type.value)
