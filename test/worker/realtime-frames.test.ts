import { beforeEach, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { ChatServerFrame } from '../../src/worker/schemas/chat-server-frames'
import { LiveChatServerFrame } from '../../src/worker/schemas/livechat-server-frames'
import { LiveServerFrame } from '../../src/worker/schemas/live-session-frames'
import { ChatClient, connect, groupWith } from '../chat-client'
import { call, json, registerUser, type TestUser } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

// The server-frame schemas behind /asyncapi.json are written beside the objects that build the
// frames (src/objects/**); these tests hold them together: every frame the real server sends
// parses, and carries no field the schema leaves out.

/** Frames that fail their schema or carry undocumented fields, as readable strings. */
function nonConforming(union: z.ZodDiscriminatedUnion, frames: any[]): string[] {
  const bad: string[] = []
  for (const f of frames) {
    const parsed = union.safeParse(f)
    if (!parsed.success) {
      bad.push(`${f.type}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`)
      continue
    }
    const option = union.options.find((o) => (o as z.ZodObject).shape.type.value === f.type) as z.ZodObject
    const extra = Object.keys(f).filter((k) => !(k in option.shape))
    if (extra.length) bad.push(`${f.type}: undocumented ${extra.join(', ')}`)
  }
  return bad
}

const types = (c: ChatClient) => new Set(c.frames.map((f) => f.type))

describe('JSON chat protocol: server frames match chat-server-frames.ts', () => {
  it('should send only frames the schemas describe, for every kind of event', async () => {
    const { chatId, users } = await groupWith(2)
    const a = await connect(users[0], chatId)
    const b = await connect(users[1], chatId)
    await a.next((f) => f.type === 'user_joined' && f.user_uuid === users[1].id)
    a.send({ type: 'typing_start', room_id: chatId })
    await b.next((f) => f.type === 'typing')
    a.send({ type: 'send_message', room_id: chatId, content: 'hello', client_id: 'c-1' })
    const ack = await a.next((f) => f.type === 'message_ack')
    a.send({ type: 'send_message', room_id: chatId, content: 'hello', client_id: 'c-1' })
    await a.next((f) => f.type === 'message_ack' && f.duplicate)
    a.send({ type: 'edit_message', room_id: chatId, message_id: ack.message_id, content: 'hello!' })
    await b.next((f) => f.type === 'message_edited')
    b.send({ type: 'mark_read', room_id: chatId, seq: ack.seq })
    await a.next((f) => f.type === 'read')
    a.send({ type: 'delete_message', room_id: chatId, message_id: ack.message_id })
    await b.next((f) => f.type === 'message_deleted')
    a.send({ type: 'send_message', room_id: chatId })
    await a.next((f) => f.type === 'error')
    const status = await call('/api/v1/users/status', {
      method: 'PUT',
      token: users[1].access_token,
      json: { status: 'away' },
    })
    expect(status.status).toBe(200)
    await a.next((f) => f.type === 'user_status' && f.status === 'away')
    b.send({ type: 'leave_room', room_id: chatId })
    await a.next((f) => f.type === 'user_left')
    // A resume replays messages as new_message frames too.
    const c = await connect(users[1], chatId, { since: '0' })
    await c.next((f) => f.type === 'new_message')
    // The chat itself changes, then goes.
    const put = await call(`/api/v1/chats/${chatId}`, {
      method: 'PUT',
      token: users[0].access_token,
      json: { name: 'Renamed', avatar_url: 'https://example.com/a.png' },
    })
    expect(put.status).toBe(200)
    await c.next((f) => f.type === 'chat_updated')
    const del = await call(`/api/v1/chats/${chatId}`, { method: 'DELETE', token: users[0].access_token })
    expect(del.status).toBe(200)
    await c.next((f) => f.type === 'chat_deleted')

    const seen = new Set([...types(a), ...types(b), ...types(c)])
    const all = ChatServerFrame.options.map((o) => (o as z.ZodObject).shape.type.value)
    expect(all.filter((t) => !seen.has(t))).toEqual([])
    expect(nonConforming(ChatServerFrame, [...a.frames, ...b.frames, ...c.frames])).toEqual([])
    for (const s of [a, b, c]) s.close()
  })
})

describe('live chat: server frames match livechat-server-frames.ts', () => {
  it('should send only frames the schemas describe', async () => {
    const customer = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const s = (
      await json(
        await call('/api/v1/livechat/sessions', { method: 'POST', token: customer.access_token, json: {} }),
      )
    ).data
    const open = async (u: TestUser, type: string, extra = '') => {
      const res = await call(`/ws/${s.id}/${u.id}/${type}?token=${u.access_token}${extra}`, {
        headers: { upgrade: 'websocket' },
      })
      res.webSocket!.accept()
      return new ChatClient(res.webSocket!)
    }
    const c = await open(customer, 'customer')
    const a = await open(agent, 'agent')
    await c.next((f) => f.type === 'user_connected' && f.data.user_type === 'agent')
    c.send({ type: 'typing', data: { is_typing: true } })
    await a.next((f) => f.type === 'typing')
    c.send({ type: 'send_message', data: { message: 'help', client_id: 'x' } })
    await c.next((f) => f.type === 'message_ack')
    await a.next((f) => f.type === 'new_message')
    a.send({ type: 'send_message', data: {} })
    await a.next((f) => f.type === 'error')
    const late = await open(agent, 'agent', '&since=0')
    await late.next((f) => f.type === 'new_message')
    late.close()
    await c.next((f) => f.type === 'user_disconnected')
    expect(
      (
        await call(`/api/v1/livechat/sessions/${s.id}/close`, {
          method: 'POST',
          token: customer.access_token,
        })
      ).status,
    ).toBe(200)
    await c.next((f) => f.type === 'session_closed')

    const seen = new Set([...types(a), ...types(c), ...types(late)])
    const all = LiveChatServerFrame.options.map((o) => (o as z.ZodObject).shape.type.value)
    expect(all.filter((t) => !seen.has(t))).toEqual([])
    expect(nonConforming(LiveChatServerFrame, [...a.frames, ...c.frames, ...late.frames])).toEqual([])
  })
})

describe('live-session socket: server frames match live-session-frames.ts', () => {
  const lk = installLiveKitDouble()
  beforeEach(() => lk.reset())

  it('should send only frames the schemas describe', async () => {
    const mentor = await registerUser({ role: 'mentor' })
    const created = await call('/api/v1/live/sessions', {
      method: 'POST',
      token: mentor.access_token,
      json: { title: 'Frames' },
    })
    const id = (await json(created)).data.session_id
    const viewer = await registerUser()
    await call(`/api/v1/live/sessions/${id}/join`, { method: 'POST', token: viewer.access_token, json: {} })
    const open = async (u: TestUser) => {
      const res = await call(`/api/v1/live/sessions/${id}/ws?token=${u.access_token}`, {
        headers: { Upgrade: 'websocket' },
      })
      res.webSocket!.accept()
      return new ChatClient(res.webSocket!)
    }
    const host = await open(mentor)
    const v = await open(viewer)
    await host.next((f) => f.type === 'presence')
    host.send({ type: 'ping' })
    await host.next((f) => f.type === 'pong')
    host.send({ type: 'shout' })
    await host.next((f) => f.type === 'error')
    expect(
      (await call(`/api/v1/live/sessions/${id}/start`, { method: 'POST', token: mentor.access_token }))
        .status,
    ).toBe(200)
    await host.next((f) => f.type === 'session')
    const promote = await call(`/api/v1/live/sessions/${id}/participants/${viewer.id}`, {
      method: 'PATCH',
      token: mentor.access_token,
      json: { role: 'speaker' },
    })
    expect(promote.status).toBe(200)
    await host.next((f) => f.type === 'role_changed')
    expect(
      (await call(`/api/v1/live/sessions/${id}/end`, { method: 'POST', token: mentor.access_token })).status,
    ).toBe(200)
    await host.next((f) => f.type === 'session_ended')

    expect(nonConforming(LiveServerFrame, [...host.frames, ...v.frames])).toEqual([])
    expect([...types(host)].sort()).toEqual([
      'error',
      'pong',
      'presence',
      'role_changed',
      'session',
      'session_ended',
      'welcome',
    ])
  })
})
