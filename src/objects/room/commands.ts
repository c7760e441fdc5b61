import { z } from 'zod'
import { isPlainObject } from '../../worker/lib/plain-object'

/** Who does something in a room, as events name them. */
export interface Actor {
  id: string
  name: string
  email?: string
}

const MessageRef = z.string().min(1).max(64)

/** What a message is (seed 001 `messages.type`): text, or one or more images or files with an optional caption. */
export const MessageType = z.enum(['text', 'image', 'file'])
export type MessageType = z.output<typeof MessageType>

/** Most files one message carries. */
export const MAX_FILES_PER_MESSAGE = 10

/** A file attached to a message, as the message keeps it (resolved by the room's object when sent). */
export interface Attachment {
  id: string
  filename: string
  mime_type: string
  size: number
  /** Authorised download (`GET /api/v1/files/{id}/content` with a bearer). */
  url: string
  /** The static capability path (conference rooms, whose Socket.IO clients hold no bearer). */
  public_url?: string
}

const SendFields = z.object({
  type: z.literal('send'),
  /** The text stored and indexed (a protocol's non-text message is stored as its JSON); a caption with files. */
  content: z.string(),
  /** text (the default), image or file: image and file messages carry `file_ids`, text messages none. */
  message_type: MessageType.default('text'),
  /** Ids of uploaded files (`POST /api/v1/files`) of this room; its object checks each. */
  file_ids: z.array(z.string().min(1).max(64)).max(MAX_FILES_PER_MESSAGE).optional(),
  /** The sender's id for this message: a repeat is stored once and acknowledged as a duplicate. */
  client_id: z.string().min(1).max(128).optional(),
  reply_to: MessageRef.optional(),
  /** Protocol fields kept with the message and handed back to its codec (Socket.IO's extra fields). */
  attrs: z.custom<Record<string, unknown>>(isPlainObject, { error: 'must be an object' }).optional(),
})

/** The rules a send's type, text and files follow, whatever protocol it came from. */
const Send = SendFields.superRefine((c, ctx) => {
  const files = c.file_ids?.length ?? 0
  if (c.message_type === 'text') {
    if (files)
      ctx.addIssue({
        code: 'custom',
        path: ['file_ids'],
        message: 'a text message carries no files; send type image or file',
      })
    if (c.content.trim() === '')
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'must not be empty' })
  } else if (!files) {
    ctx.addIssue({
      code: 'custom',
      path: ['file_ids'],
      message: `an ${c.message_type} message needs at least one file id`,
    })
  }
  if (c.file_ids && new Set(c.file_ids).size !== files)
    ctx.addIssue({ code: 'custom', path: ['file_ids'], message: 'lists a file twice' })
})

/**
 * Everything a protocol (or REST) can ask a message room to do — the core's one input. Codecs
 * turn their frames into these; the core validates them again at its boundary, so a command
 * that reaches the log is well-formed whichever wire it came from.
 */
export const RoomCommand = z.discriminatedUnion('type', [
  Send,
  z.object({ type: z.literal('edit'), message_id: MessageRef, content: z.string().min(1) }),
  z.object({ type: z.literal('delete'), message_id: MessageRef }),
  z.object({ type: z.literal('read'), seq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('typing'), typing: z.boolean() }),
])

/** A command as codecs build it (defaults such as `message_type` may be left out). */
export type RoomCommandInput = z.input<typeof RoomCommand>
export type RoomCommand = z.output<typeof RoomCommand>
export type SendCommand = Extract<RoomCommand, { type: 'send' }>
export type SendCommandInput = Extract<RoomCommandInput, { type: 'send' }>
