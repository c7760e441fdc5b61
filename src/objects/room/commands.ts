import { z } from 'zod'

/** Who does something in a room, as events name them. */
export interface Actor {
  id: string
  name: string
  email?: string
}

const MessageRef = z.string().min(1).max(64)

/**
 * Everything a protocol (or REST) can ask a message room to do — the core's one input. Codecs
 * turn their frames into these; the core validates them again at its boundary, so a command
 * that reaches the log is well-formed whichever wire it came from.
 */
export const RoomCommand = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('send'),
    /** The text stored and indexed (a protocol's non-text message is stored as its JSON). */
    content: z.string().min(1, 'must not be empty'),
    /** The sender's id for this message: a repeat is stored once and acknowledged as a duplicate. */
    client_id: z.string().min(1).max(128).optional(),
    reply_to: MessageRef.optional(),
    /** Protocol fields kept with the message and handed back to its codec (Socket.IO's extra fields). */
    attrs: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({ type: z.literal('edit'), message_id: MessageRef, content: z.string().min(1) }),
  z.object({ type: z.literal('delete'), message_id: MessageRef }),
  z.object({ type: z.literal('read'), seq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('typing'), typing: z.boolean() }),
])

export type RoomCommand = z.output<typeof RoomCommand>
export type SendCommand = Extract<RoomCommand, { type: 'send' }>
