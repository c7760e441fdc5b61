import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { groupWith, restSend } from '../chat-client'
import { call, json, registerUser, type TestUser } from '../helpers'
import { chatRoomStub } from '../objects/test-classes'

// Seed 001 `messages.type` (text, image, file) with files from POST /api/v1/files, over REST,
// history and search. The contract suite (test/objects/room-contract.test.ts) runs the same
// rules over the JSON socket and Socket.IO `chat-message`.

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])
const PDF = new TextEncoder().encode('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n')

async function upload(user: TestUser, chatId: string, file: File): Promise<string> {
  const form = new FormData()
  form.append('file', file)
  form.append('chat_id', chatId)
  const res = await call('/api/v1/files', { method: 'POST', token: user.access_token, body: form })
  expect(res.status).toBe(201)
  return (await json(res)).data.id
}
const png = () => new File([PNG], 'photo.png', { type: 'image/png' })
const pdf = () => new File([PDF], 'report.pdf', { type: 'application/pdf' })

const history = async (user: TestUser, chatId: string, q = '') =>
  (await json(await call(`/api/v1/chats/${chatId}/messages${q}`, { token: user.access_token }))).data.messages

describe('messages with a type and files', () => {
  it('should store an image message with its files and return them in the answer, history, one message and search', async () => {
    const { chatId, users } = await groupWith(2)
    const [a, b] = users
    const image = await upload(b, chatId, png())
    const sent = await restSend(a, chatId, { type: 'image', file_ids: [image], content: 'sunset caption' })
    expect(sent.status).toBe(201)
    const file = {
      id: image,
      filename: 'photo.png',
      mime_type: 'image/png',
      size: PNG.length,
      url: `/api/v1/files/${image}/content`,
    }
    expect(sent.body.data).toMatchObject({ type: 'image', content: 'sunset caption', files: [file] })
    const plain = await restSend(a, chatId, { content: 'plain text' })
    expect(plain.body.data).toMatchObject({ type: 'text', files: [] })

    const [newest, oldest] = await history(b, chatId)
    expect(newest).toMatchObject({ type: 'text', files: [] })
    expect(oldest).toMatchObject({ type: 'image', files: [file] })
    const one = await call(`/api/v1/chats/${chatId}/messages/${sent.body.data.id}`, { token: b.access_token })
    expect((await json(one)).data.files).toEqual([file])

    await runInDurableObject(chatRoomStub(chatId), (o) => o.flushIndex())
    const found = await history(b, chatId, '?q=sunset')
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ id: sent.body.data.id, type: 'image', files: [file] })
  })

  it('should take a file message of any accepted type, with or without a caption', async () => {
    const { chatId, users } = await groupWith(1)
    const doc = await upload(users[0], chatId, pdf())
    const sent = await restSend(users[0], chatId, { type: 'file', file_ids: [doc] })
    expect(sent.status).toBe(201)
    expect(sent.body.data).toMatchObject({
      type: 'file',
      content: '',
      files: [{ id: doc, mime_type: 'application/pdf' }],
    })
  })

  it('should refuse, naming the field, type and file combinations that do not fit, and store nothing', async () => {
    const { chatId, users } = await groupWith(1)
    const me = users[0]
    const doc = await upload(me, chatId, pdf())
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'image', file_ids: [doc] }, 'file_ids.0'],
      [{ content: 'hi', file_ids: [doc] }, 'file_ids'],
      [{ type: 'image' }, 'file_ids'],
      [{ type: 'file', file_ids: [doc, doc] }, 'file_ids'],
      [{ type: 'video', file_ids: [doc] }, 'type'],
      [{ type: 'file', file_ids: Array.from({ length: 11 }, () => doc) }, 'file_ids'],
      [{ type: 'text' }, 'content'],
    ]
    for (const [body, field] of cases) {
      const res = await restSend(me, chatId, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(
        res.body.error.details.fields.map((f: { path: string }) => f.path),
        JSON.stringify(body),
      ).toContain(field)
    }
    expect(await history(me, chatId)).toEqual([])
  })

  it('should refuse a file of another chat (403) or an unknown one (404), and store nothing', async () => {
    const { chatId, users } = await groupWith(1)
    const elsewhere = await groupWith(1)
    const foreign = await upload(elsewhere.users[0], elsewhere.chatId, png())
    const forbidden = await restSend(users[0], chatId, { type: 'image', file_ids: [foreign] })
    expect(forbidden.status).toBe(403)
    expect(forbidden.body.error.message).toContain(foreign)
    const missing = await restSend(users[0], chatId, { type: 'image', file_ids: ['no-such-file'] })
    expect(missing.status).toBe(404)
    expect(missing.body.error.message).toContain('no-such-file')
    expect(await history(users[0], chatId)).toEqual([])
    // Outsiders are refused before any file is looked at.
    const outsider = await registerUser()
    expect((await restSend(outsider, chatId, { type: 'image', file_ids: [foreign] })).status).toBe(403)
  })

  it('should erase a deleted message’s files with its content, and keep the file itself', async () => {
    const { chatId, users } = await groupWith(1)
    const me = users[0]
    const image = await upload(me, chatId, png())
    const sent = await restSend(me, chatId, { type: 'image', file_ids: [image] })
    const del = await call(`/api/v1/chats/${chatId}/messages/${sent.body.data.id}`, {
      method: 'DELETE',
      token: me.access_token,
    })
    expect((await json(del)).data).toMatchObject({ deleted: true, type: 'image', files: [] })
    expect((await call(`/api/v1/files/${image}`, { token: me.access_token })).status).toBe(200)
  })

  it('should answer a repeated client_id with the first message, files and all', async () => {
    const { chatId, users } = await groupWith(1)
    const image = await upload(users[0], chatId, png())
    const body = { type: 'image', file_ids: [image], client_id: 'img-1' }
    const first = await restSend(users[0], chatId, body)
    const again = await restSend(users[0], chatId, body)
    expect(first.status).toBe(201)
    expect(again.status).toBe(200)
    expect(again.body.data).toEqual(first.body.data)
  })
})
