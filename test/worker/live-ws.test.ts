import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ChatClient } from '../chat-client'
import { call, json, mintToken, registerUser, type TestUser } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

const lk = installLiveKitDouble()
beforeEach(() => lk.reset())

let mentor: TestUser
beforeAll(async () => {
  mentor = await registerUser({ role: 'mentor' })
})

const api = (path: string, init: Parameters<typeof call>[1] = {}) => call(`/api/v1/live${path}`, init)

async function session(body: Record<string, unknown> = {}) {
  const res = await api('/sessions', {
    method: 'POST',
    token: mentor.access_token,
    json: { title: 'Briefing', ...body },
  })
  expect(res.status).toBe(201)
  const data = (await json(res)).data as { session_id: string }
  return { id: data.session_id }
}

async function newcomer(tag: string) {
  const id = `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
  return { id, token: await mintToken('member', id) }
}

/** Opens the session's event socket; `client` is undefined when refused (see `res`). */
async function open(id: string, token: string | undefined) {
  const q = token ? `?token=${encodeURIComponent(token)}` : ''
  const res = await api(`/sessions/${id}/ws${q}`, { headers: { Upgrade: 'websocket' } })
  if (res.status !== 101 || !res.webSocket) return { res }
  res.webSocket.accept()
  return { res, client: new ChatClient(res.webSocket) }
}
async function connect(id: string, token: string) {
  const { client, res } = await open(id, token)
  if (!client) throw new Error(`refused: ${res.status} ${await res.text()}`)
  return client
}
const closedWith = async (c: ChatClient) => {
  for (let i = 0; i < 100 && !c.closed; i++) await new Promise((r) => setTimeout(r, 20))
  return c.closed
}

describe('live session socket: GET /api/v1/live/sessions/{id}/ws', () => {
  it('should welcome participants with who is there, and announce arrivals and departures', async () => {
    const s = await session()
    const host = await connect(s.id, mentor.access_token)
    expect(await host.next((f) => f.type === 'welcome')).toMatchObject({ data: { role: 'host', viewers: 1 } })
    const v = await newcomer('viewer')
    expect((await api(`/sessions/${s.id}/join`, { method: 'POST', token: v.token, json: {} })).status).toBe(
      200,
    )
    const viewer = await connect(s.id, v.token)
    const welcome = await viewer.next((f) => f.type === 'welcome')
    expect(welcome.data).toMatchObject({ role: 'viewer', viewers: 2 })
    expect(welcome.data.users.map((u: { user_id: string }) => u.user_id).sort()).toEqual(
      [mentor.id, v.id].sort(),
    )
    expect(await host.next((f) => f.type === 'presence')).toMatchObject({
      data: { user_id: v.id, role: 'viewer', joined: true, viewers: 2 },
    })
    viewer.close()
    expect(await host.next((f) => f.type === 'presence')).toMatchObject({
      data: { user_id: v.id, joined: false, viewers: 1 },
    })
    host.send({ type: 'ping' })
    expect(await host.next((f) => f.type === 'pong')).toMatchObject({ data: { viewers: 1 } })
    host.close()
  })

  it('should refuse without a token (401), before joining (403) and for a private session a stranger cannot see (404)', async () => {
    const s = await session()
    expect((await open(s.id, undefined)).res.status).toBe(401)
    const stranger = await newcomer('stranger')
    const early = await open(s.id, stranger.token)
    expect(early.res.status).toBe(403)
    expect((await json(early.res)).error.message).toContain('Join the session first')
    const secret = await session({ is_public: false })
    expect((await open(secret.id, stranger.token)).res.status).toBe(404)
    expect((await api(`/sessions/${s.id}/ws?token=${stranger.token}`)).status).toBe(426)
  })

  it('should tell everyone about start, role changes and kicks, closing the kicked user\u2019s socket with 4003', async () => {
    const s = await session()
    const v = await newcomer('promoted')
    const k = await newcomer('kicked')
    for (const u of [v, k]) await api(`/sessions/${s.id}/join`, { method: 'POST', token: u.token, json: {} })
    const host = await connect(s.id, mentor.access_token)
    const viewer = await connect(s.id, v.token)
    const victim = await connect(s.id, k.token)

    expect(
      (await api(`/sessions/${s.id}/start`, { method: 'POST', token: mentor.access_token })).status,
    ).toBe(200)
    for (const c of [host, viewer, victim])
      expect(await c.next((f) => f.type === 'session')).toMatchObject({
        data: { session_id: s.id, status: 'live' },
      })

    const promote = await api(`/sessions/${s.id}/participants/${v.id}`, {
      method: 'PATCH',
      token: mentor.access_token,
      json: { role: 'speaker' },
    })
    expect(promote.status).toBe(200)
    expect(await viewer.next((f) => f.type === 'role_changed')).toMatchObject({
      data: { user_id: v.id, role: 'speaker' },
    })
    expect(await host.next((f) => f.type === 'role_changed')).toMatchObject({ data: { user_id: v.id } })

    const kick = await api(`/sessions/${s.id}/participants/${k.id}/kick`, {
      method: 'POST',
      token: mentor.access_token,
    })
    expect(kick.status).toBe(200)
    expect(await victim.next((f) => f.type === 'kicked')).toMatchObject({
      data: { user_id: k.id, kicked: true },
    })
    expect(await closedWith(victim)).toMatchObject({ code: 4003, reason: 'kicked' })
    expect(await host.next((f) => f.type === 'kicked')).toMatchObject({ data: { user_id: k.id } })
    expect(viewer.closed).toBeUndefined()
    // The kicked user cannot come back.
    expect((await open(s.id, k.token)).res.status).toBe(403)
    host.close()
    viewer.close()
  })

  it('should announce the end, close every socket and refuse new ones with 409', async () => {
    const s = await session()
    const host = await connect(s.id, mentor.access_token)
    await api(`/sessions/${s.id}/start`, { method: 'POST', token: mentor.access_token })
    expect((await api(`/sessions/${s.id}/end`, { method: 'POST', token: mentor.access_token })).status).toBe(
      200,
    )
    expect(await host.next((f) => f.type === 'session_ended')).toMatchObject({
      data: { session_id: s.id, status: 'ended' },
    })
    expect(await closedWith(host)).toMatchObject({ code: 1000, reason: 'session ended' })
    expect((await open(s.id, mentor.access_token)).res.status).toBe(409)
  })

  it('should close sockets of a deleted session, saying it was deleted', async () => {
    const s = await session()
    const host = await connect(s.id, mentor.access_token)
    expect((await api(`/sessions/${s.id}`, { method: 'DELETE', token: mentor.access_token })).status).toBe(
      200,
    )
    expect(await host.next((f) => f.type === 'session_ended')).toMatchObject({
      data: { session_id: s.id, deleted: true },
    })
    expect(await closedWith(host)).toMatchObject({ code: 1000 })
  })

  it('should answer bad frames with an error frame naming the problem and keep the socket open', async () => {
    const s = await session()
    const host = await connect(s.id, mentor.access_token)
    host.send('not json')
    expect(await host.next((f) => f.type === 'error')).toMatchObject({ code: 'bad_request' })
    host.send({ type: 'dance' })
    expect((await host.next((f) => f.type === 'error')).message).toContain('Unknown frame type "dance"')
    host.send({ type: 'ping' })
    expect(await host.next((f) => f.type === 'pong')).toBeTruthy()
    expect(host.closed).toBeUndefined()
    host.close()
  })

  it('should not broadcast a regenerated invite link to the session\u2019s sockets', async () => {
    const s = await session()
    const host = await connect(s.id, mentor.access_token)
    const res = await api(`/sessions/${s.id}`, {
      method: 'PATCH',
      token: mentor.access_token,
      json: { is_public: false },
    })
    expect((await json(res)).data.invite_link).toEqual(expect.any(String))
    const update = await host.next((f) => f.type === 'session')
    expect(update.data).toMatchObject({ session_id: s.id, is_public: false })
    expect(update.data.invite_link).toBeUndefined()
    host.close()
  })
})
