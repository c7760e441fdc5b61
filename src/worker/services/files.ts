import { and, desc, eq, inArray, like } from 'drizzle-orm'
import type { Attachment } from '../../objects/room/commands'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { chatMembers, files } from '../db/schema'
import { AppError, forbidden, notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { isStaff, type AuthIdentity } from '../lib/identity'
import { matchesSignature, SIGNATURE_BYTES } from '../lib/magic'
import { iso } from '../lib/time'

export type FileRow = typeof files.$inferSelect

/** Content types accepted for upload. SVG and HTML are refused: they would run script when served. */
const ALLOWED = [
  /^image\/(png|jpeg|gif|webp|heic|heif)$/,
  /^video\/(mp4|webm|quicktime|x-matroska)$/,
  /^audio\/(mpeg|ogg|wav|webm|mp4|aac)$/,
  /^application\/(pdf|zip|json|msword|vnd\.ms-excel|vnd\.ms-powerpoint)$/,
  /^application\/vnd\.openxmlformats-officedocument\.[\w.]+$/,
  /^text\/(plain|csv)$/,
]

/** R2 key prefix (SPEC §7) for a content type and purpose. */
export function prefixFor(mimeType: string, purpose: string): 'images' | 'videos' | 'thumbnails' | 'files' {
  if (purpose === 'thumbnail') return 'thumbnails'
  if (mimeType.startsWith('image/')) return 'images'
  if (mimeType.startsWith('video/')) return 'videos'
  return 'files'
}

const safeName = (name: string) =>
  name
    .replace(/[^\w.-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-100) || 'file'

/** Purposes that take only one kind of media. */
const ONLY: Record<string, 'image' | 'video'> = { thumbnail: 'image', avatar: 'image', video: 'video' }

/**
 * Checks size, type and that the leading bytes are what the type says (images, video, audio,
 * PDF); throws 413 / 415 naming the limit or the type.
 */
export async function checkUpload(config: Config, file: File, purpose: string): Promise<string> {
  const type = (file.type || 'application/octet-stream').split(';')[0].trim().toLowerCase()
  if (file.size > config.FILE_SIZE_LIMIT) {
    throw new AppError('payload_too_large', `File exceeds ${config.FILE_SIZE_LIMIT} bytes`, {
      limit: config.FILE_SIZE_LIMIT,
    })
  }
  if (file.size === 0)
    throw new AppError('bad_request', 'File is empty', { fields: [{ path: 'file', message: 'is empty' }] })
  if (!ALLOWED.some((re) => re.test(type))) {
    throw new AppError('unsupported_media_type', `Files of type ${type} are not accepted`, { type })
  }
  const only = ONLY[purpose]
  if (only && !type.startsWith(`${only}/`)) {
    throw new AppError('unsupported_media_type', `A ${purpose} must be an ${only}`, { type })
  }
  const head = new Uint8Array(await file.slice(0, SIGNATURE_BYTES).arrayBuffer())
  if (!matchesSignature(type, head)) {
    throw new AppError('unsupported_media_type', `The file's content is not ${type}`, {
      type,
      fields: [{ path: 'file', message: `does not start like a ${type} file` }],
    })
  }
  return type
}

/** Stores an upload in R2 (streamed) and records it in D1. */
export async function storeFile(
  db: Db,
  bucket: R2Bucket,
  config: Config,
  owner: AuthIdentity,
  file: File,
  opts: { purpose: string; chatId?: string; room?: string },
): Promise<FileRow> {
  const mimeType = await checkUpload(config, file, opts.purpose)
  if (opts.chatId) await requireMember(db, opts.chatId, owner)
  const id = newId()
  const key = `${prefixFor(mimeType, opts.purpose)}/${id}-${safeName(file.name)}`
  await bucket.put(key, file.stream(), {
    httpMetadata: { contentType: mimeType, contentDisposition: disposition(mimeType, file.name) },
    customMetadata: { owner: owner.id, fileId: id },
  })
  return db
    .insert(files)
    .values({
      id,
      userId: owner.id,
      key,
      filename: file.name.slice(0, 255) || 'file',
      mimeType,
      size: file.size,
      purpose: opts.purpose,
      chatId: opts.chatId ?? null,
      room: opts.room ?? null,
    })
    .returning()
    .get()
}

/** Media plays inline; anything else downloads, so a browser never renders it as a page. */
function disposition(mimeType: string, filename: string) {
  const inline = /^(image|video|audio)\//.test(mimeType) || mimeType === 'application/pdf'
  return `${inline ? 'inline' : 'attachment'}; filename="${safeName(filename)}"`
}

async function requireMember(db: Db, chatId: string, who: AuthIdentity) {
  if (isStaff(who.role)) return
  const member = await db
    .select({ role: chatMembers.role })
    .from(chatMembers)
    .where(and(eq(chatMembers.chatId, chatId), eq(chatMembers.userId, who.id)))
    .get()
  if (!member) throw forbidden('Only members of the chat may use its files')
}

export async function getFile(db: Db, id: string): Promise<FileRow> {
  const row = await db.select().from(files).where(eq(files.id, id)).get()
  if (!row) throw notFound('File')
  return row
}

/** Who may read a file: its owner, staff, and — for chat files — the chat's members. */
export async function authorizeRead(db: Db, row: FileRow, who: AuthIdentity): Promise<void> {
  if (row.userId === who.id || isStaff(who.role)) return
  if (row.chatId) return requireMember(db, row.chatId, who)
  throw forbidden('You may not read this file')
}

/** Who may delete: the owner or an admin. Removes the object and the row. */
export async function deleteFile(db: Db, bucket: R2Bucket, row: FileRow, who: AuthIdentity): Promise<void> {
  if (row.userId !== who.id && who.role !== 'admin')
    throw forbidden('Only the owner or an admin may delete a file')
  await bucket.delete(row.key)
  await db.delete(files).where(eq(files.id, row.id))
}

/**
 * Streams an R2 object, honouring a single `Range` request (206 + Content-Range; 416 when
 * unsatisfiable). Answers 404 when the key is absent.
 */
export async function serveObject(bucket: R2Bucket, key: string, request: Request): Promise<Response> {
  const rangeHeader = request.headers.get('range')
  const head = rangeHeader ? await bucket.head(key) : null
  if (rangeHeader && head) {
    const range = parseRange(rangeHeader, head.size)
    if (!range) {
      return new Response(null, { status: 416, headers: { 'content-range': `bytes */${head.size}` } })
    }
    const object = await bucket.get(key, { range })
    if (!object) throw notFound('File')
    const headers = objectHeaders(object)
    const end = range.offset + range.length - 1
    headers.set('content-range', `bytes ${range.offset}-${end}/${object.size}`)
    headers.set('content-length', String(range.length))
    return new Response(object.body, { status: 206, headers })
  }
  const object = await bucket.get(key)
  if (!object) throw notFound('File')
  const headers = objectHeaders(object)
  headers.set('content-length', String(object.size))
  return new Response(object.body, { status: 200, headers })
}

function objectHeaders(object: R2Object): Headers {
  const headers = new Headers()
  object.writeHttpMetadata(headers)
  headers.set('etag', object.httpEtag)
  headers.set('accept-ranges', 'bytes')
  headers.set('x-content-type-options', 'nosniff')
  return headers
}

/** Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against `size`; null when unsatisfiable or multi-range. */
export function parseRange(header: string, size: number): { offset: number; length: number } | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return null
  let start: number
  let end: number
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return null
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start > end || start >= size) return null
  return { offset: start, length: end - start + 1 }
}

/** The API view of a file row. */
export function fileView(row: FileRow) {
  return {
    id: row.id,
    filename: row.filename,
    mime_type: row.mimeType,
    size: row.size,
    purpose: row.purpose,
    chat_id: row.chatId ?? null,
    room: row.room ?? null,
    url: `/api/v1/files/${row.id}/content`,
    public_url: `/${row.key}`,
    created_at: iso(row.createdAt),
  }
}

/**
 * The files a message names (seed 001 `messages.type` image/file), in the order named, as the
 * message keeps them: each must exist (404 naming it) and have been uploaded to this chat
 * (`chatId`, seed 001/003 chats) or conference room (`room`, seed 000; these also carry the
 * file's static `public_url`, which the room's Socket.IO clients can load without a bearer).
 * Membership of the chat or room is the caller's to check (its socket or route did).
 */
export async function messageAttachments(
  db: Db,
  ids: string[],
  owner: { chatId: string } | { room: string },
): Promise<Attachment[]> {
  if (!ids.length) return []
  const rows = await db.select().from(files).where(inArray(files.id, ids)).all()
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids.map((id, i) => {
    const row = byId.get(id)
    if (!row)
      throw new AppError('not_found', `File ${id} not found`, {
        fields: [{ path: `file_ids.${i}`, message: 'no such file' }],
      })
    const inChat = 'chatId' in owner ? row.chatId === owner.chatId : row.room === owner.room
    if (!inChat) throw forbidden(`File ${id} was not uploaded to this ${'chatId' in owner ? 'chat' : 'room'}`)
    const view = fileView(row)
    return {
      id: row.id,
      filename: row.filename,
      mime_type: row.mimeType,
      size: row.size,
      url: view.url,
      ...('room' in owner ? { public_url: view.public_url } : {}),
    }
  })
}

/** Seed 000 `GET /upload/list`: uploaded videos, newest first. */
export async function listByPrefix(
  db: Db,
  prefix: 'videos' | 'images' | 'files',
  limit = 100,
): Promise<FileRow[]> {
  return db
    .select()
    .from(files)
    .where(like(files.key, `${prefix}/%`))
    .orderBy(desc(files.createdAt))
    .limit(limit)
    .all()
}
