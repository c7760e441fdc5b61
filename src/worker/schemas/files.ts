import { z } from '@hono/zod-openapi'

/** A multipart file part (OpenAPI: binary string). */
export const FilePart = z
  .instanceof(File, { message: 'must be a file' })
  .openapi({ type: 'string', format: 'binary' })

export const FilePurpose = z.enum(['message', 'avatar', 'group', 'thumbnail', 'video', 'conference'])

export const UploadForm = z
  .object({
    file: FilePart,
    purpose: FilePurpose.default('message'),
    chat_id: z.string().min(1).max(64).optional(),
    room: z.string().min(1).max(128).optional(),
  })
  .openapi('UploadForm')

export const StoredFile = z
  .object({
    id: z.string(),
    filename: z.string(),
    mime_type: z.string(),
    size: z.number().int(),
    purpose: z.string(),
    chat_id: z.string().nullable(),
    room: z.string().nullable(),
    url: z.string().openapi({ description: 'Authorised download: GET with a bearer token; supports Range' }),
    public_url: z
      .string()
      .openapi({ description: "Seed 000's static path (capability URL: unguessable key)" }),
    created_at: z.string(),
  })
  .openapi('StoredFile')

/** A file as a message carries it (image and file messages, seed 001 `messages.type`). */
export const MessageFile = z
  .object({
    id: z.string(),
    filename: z.string(),
    mime_type: z.string(),
    size: z.number().int(),
    url: z.string().describe('Authorised download: GET with a bearer token; supports Range'),
    public_url: z
      .string()
      .optional()
      .describe('Conference rooms only: the static capability path, loadable without a token'),
  })
  .openapi('MessageFile')

/** Seed 000 `POST /upload/file`: one or more files under `myFiles[]`. */
export const UploadFilesForm = z
  .object({ 'myFiles[]': z.union([FilePart, z.array(FilePart).min(1).max(20)]) })
  .openapi('UploadFilesForm')

/** Seed 000 `POST /upload/video`: one video under `myVideo`. */
export const UploadVideoForm = z
  .object({ myVideo: FilePart, room: z.string().max(128).optional() })
  .openapi('UploadVideoForm')

/** A logo's file name under `/logo/` (seed 000 `app.Static("/logo", "./logo")`). */
export const LogoName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be 1–100 letters, digits, "_", "-" or "."')
  .openapi({ param: { name: 'name', in: 'path' }, example: 'service-1.png' })

/** `PUT /logo/{name}`: the image under `logo`. */
export const LogoForm = z.object({ logo: FilePart }).openapi('LogoForm')

export const StoredLogo = z
  .object({ name: z.string(), url: z.string(), content_type: z.string(), size: z.number().int() })
  .openapi('StoredLogo')
