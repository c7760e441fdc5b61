import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { loadConfig } from '../../src/worker/config'
import { db } from '../../src/worker/db/client'
import { chatMembers, chats, files } from '../../src/worker/db/schema'
import { newId } from '../../src/worker/lib/ids'
import { checkUpload, parseRange } from '../../src/worker/services/files'
import { call, json, registerUser, type TestUser } from '../helpers'

// A PNG signature and 8 more bytes; an MP4's first box (`ftyp`, brand isom).
const bytes = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  ...new TextEncoder().encode('89abcdef'),
])
const mp4 = new Uint8Array([0, 0, 0, 16, ...new TextEncoder().encode('ftypisom'), 0, 0, 2, 0])

function upload(
  user: TestUser,
  file: File,
  fields: Record<string, string> = {},
  path = '/api/v1/files',
  field = 'file',
) {
  const form = new FormData()
  form.append(field, file)
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  return call(path, { method: 'POST', token: user.access_token, body: form })
}

const png = (name = 'pic.png') => new File([bytes], name, { type: 'image/png' })

describe('POST /api/v1/files', () => {
  it('should store an image in R2 under images/ and describe it', async () => {
    const u = await registerUser()
    const res = await upload(u, png())
    expect(res.status).toBe(201)
    const { data } = await json(res)
    expect(data).toMatchObject({ filename: 'pic.png', mime_type: 'image/png', size: 16, purpose: 'message' })
    expect(data.public_url).toMatch(/^\/images\/[\w]+-pic\.png$/)
    const object = await env.BUCKET.get(data.public_url.slice(1))
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes)
  })

  it('should refuse SVG with 415 and store nothing', async () => {
    const u = await registerUser()
    const res = await upload(u, new File(['<svg onload=alert(1)>'], 'x.svg', { type: 'image/svg+xml' }))
    expect(res.status).toBe(415)
    expect((await json(res)).error.code).toBe('unsupported_media_type')
    expect(await db(env.DB).select().from(files).where(eq(files.userId, u.id)).all()).toEqual([])
  })

  it('should answer 400 naming `file` when the part is missing', async () => {
    const u = await registerUser()
    const form = new FormData()
    form.append('purpose', 'message')
    const res = await call('/api/v1/files', { method: 'POST', token: u.access_token, body: form })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields.map((f: { path: string }) => f.path)).toContain('file')
  })

  it('should answer 401 without a token', async () => {
    const form = new FormData()
    form.append('file', png())
    expect((await call('/api/v1/files', { method: 'POST', body: form })).status).toBe(401)
  })

  it('should refuse bytes that are not what the declared type says (415), storing nothing', async () => {
    const u = await registerUser()
    const random = crypto.getRandomValues(new Uint8Array(64))
    for (const [type, name] of [
      ['image/png', 'x.png'],
      ['image/jpeg', 'x.jpg'],
      ['video/mp4', 'x.mp4'],
      ['audio/mpeg', 'x.mp3'],
      ['application/pdf', 'x.pdf'],
    ]) {
      const res = await upload(u, new File([random], name, { type }))
      expect(res.status, type).toBe(415)
      expect((await json(res)).error.code).toBe('unsupported_media_type')
    }
    const stored = await db(env.DB).select().from(files).where(eq(files.userId, u.id)).all()
    expect(stored).toEqual([])
    expect((await upload(u, new File([mp4], 'ok.mp4', { type: 'video/mp4' }))).status).toBe(201)
    expect((await upload(u, new File(['%PDF-1.7\n'], 'ok.pdf', { type: 'application/pdf' }))).status).toBe(
      201,
    )
  })

  it('should refuse a non-image avatar', async () => {
    const u = await registerUser()
    const res = await upload(u, new File(['%PDF'], 'a.pdf', { type: 'application/pdf' }), {
      purpose: 'avatar',
    })
    expect(res.status).toBe(415)
  })
})

describe('checkUpload', () => {
  it('should answer 413 naming the limit for an oversized file', async () => {
    const config = { ...loadConfig(env), FILE_SIZE_LIMIT: 10 }
    await expect(checkUpload(config, png(), 'message')).rejects.toThrow(/exceeds 10 bytes/)
  })
})

describe('GET /api/v1/files/:id/content', () => {
  it('should let the owner download the bytes with their type', async () => {
    const u = await registerUser()
    const { data } = await json(await upload(u, png()))
    const res = await call(data.url, { token: u.access_token })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes)
  })

  it('should serve ranges: explicit, open-ended and suffix; 416 when unsatisfiable', async () => {
    const u = await registerUser()
    const { data } = await json(await upload(u, png()))
    const get = (range: string) => call(data.url, { token: u.access_token, headers: { range } })
    const mid = await get('bytes=2-5')
    expect(mid.status).toBe(206)
    expect(mid.headers.get('content-range')).toBe('bytes 2-5/16')
    expect(new Uint8Array(await mid.arrayBuffer())).toEqual(bytes.slice(2, 6))
    expect(await (await get('bytes=14-')).text()).toBe('ef')
    expect(await (await get('bytes=-3')).text()).toBe('def')
    const bad = await get('bytes=100-200')
    expect(bad.status).toBe(416)
    expect(bad.headers.get('content-range')).toBe('bytes */16')
  })

  it('should refuse another member (403) but let staff read', async () => {
    const owner = await registerUser()
    const other = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const { data } = await json(await upload(owner, png()))
    expect((await call(data.url, { token: other.access_token })).status).toBe(403)
    expect((await call(`/api/v1/files/${data.id}`, { token: other.access_token })).status).toBe(403)
    expect((await call(data.url, { token: agent.access_token })).status).toBe(200)
  })

  it('should let members of the file’s chat read it, and refuse uploads to a chat by non-members', async () => {
    const owner = await registerUser()
    const member = await registerUser()
    const outsider = await registerUser()
    const chatId = newId()
    const d = db(env.DB)
    await d.insert(chats).values({
      id: chatId,
      code: chatId.slice(-6).toUpperCase(),
      type: 'group',
      name: 'g',
      createdBy: owner.id,
    })
    await d.insert(chatMembers).values([
      { chatId, userId: owner.id, role: 'owner' },
      { chatId, userId: member.id },
    ])
    const { data } = await json(await upload(owner, png(), { chat_id: chatId }))
    expect((await call(data.url, { token: member.access_token })).status).toBe(200)
    expect((await call(data.url, { token: outsider.access_token })).status).toBe(403)
    expect((await upload(outsider, png(), { chat_id: chatId })).status).toBe(403)
  })
})

describe('DELETE /api/v1/files/:id', () => {
  it('should refuse others and let the owner delete the row and the object', async () => {
    const owner = await registerUser()
    const other = await registerUser()
    const { data } = await json(await upload(owner, png()))
    expect(
      (await call(`/api/v1/files/${data.id}`, { method: 'DELETE', token: other.access_token })).status,
    ).toBe(403)
    expect(
      (await call(`/api/v1/files/${data.id}`, { method: 'DELETE', token: owner.access_token })).status,
    ).toBe(200)
    expect((await call(`/api/v1/files/${data.id}`, { token: owner.access_token })).status).toBe(404)
    expect(await env.BUCKET.head(data.public_url.slice(1))).toBeNull()
  })
})

describe('seed 000 /upload and static paths', () => {
  it('should store several myFiles[] for staff and refuse members', async () => {
    const agent = await registerUser({ role: 'agent' })
    const form = new FormData()
    form.append('myFiles[]', new File(['a'], 'a.txt', { type: 'text/plain' }))
    form.append('myFiles[]', png('b.png'))
    const res = await call('/upload/file', { method: 'POST', token: agent.access_token, body: form })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.status).toBe('SUCCESS')
    expect(body.data.map((f: { public_url: string }) => f.public_url.split('/')[1])).toEqual([
      'files',
      'images',
    ])
    const member = await registerUser()
    expect(
      (await call('/upload/file', { method: 'POST', token: member.access_token, body: form })).status,
    ).toBe(403)
  })

  it('should store nothing when one of several files is refused', async () => {
    const agent = await registerUser({ role: 'agent' })
    const form = new FormData()
    form.append('myFiles[]', png('ok.png'))
    form.append('myFiles[]', new File(['<html>'], 'x.html', { type: 'text/html' }))
    const res = await call('/upload/file', { method: 'POST', token: agent.access_token, body: form })
    expect(res.status).toBe(415)
    expect((await json(res)).status).toBe('FAIL')
    expect(await db(env.DB).select().from(files).where(eq(files.userId, agent.id)).all()).toEqual([])
  })

  it('should take a video, list it, and serve it at /videos without a token, with ranges', async () => {
    const agent = await registerUser({ role: 'agent' })
    const form = new FormData()
    form.append('myVideo', new File([mp4], 'call.mp4', { type: 'video/mp4' }))
    const { data } = await json(
      await call('/upload/video', { method: 'POST', token: agent.access_token, body: form }),
    )
    expect(data.public_url).toMatch(/^\/videos\//)
    const list = await json(await call('/upload/list', { token: agent.access_token }))
    expect(list.data.map((f: { id: string }) => f.id)).toContain(data.id)
    const res = await call(data.public_url, { headers: { range: 'bytes=0-3' } })
    expect(res.status).toBe(206)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(mp4.slice(0, 4))
    expect((await call('/videos/nothing-here.mp4')).status).toBe(404)
  })

  it('should refuse a non-video at /upload/video', async () => {
    const agent = await registerUser({ role: 'agent' })
    const form = new FormData()
    form.append('myVideo', png())
    expect(
      (await call('/upload/video', { method: 'POST', token: agent.access_token, body: form })).status,
    ).toBe(415)
  })
})

describe('parseRange', () => {
  it('should refuse multi-range, empty and zero-suffix ranges', () => {
    expect(parseRange('bytes=0-1,3-4', 10)).toBeNull()
    expect(parseRange('bytes=-', 10)).toBeNull()
    expect(parseRange('bytes=-0', 10)).toBeNull()
    expect(parseRange('bytes=5-2', 10)).toBeNull()
    expect(parseRange('bytes=0-99', 10)).toEqual({ offset: 0, length: 10 })
  })
})
