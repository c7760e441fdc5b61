import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { json, registerUser, type TestUser } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'
import { closedWith, connectLive, createSession, liveApi, newcomer, openLiveSocket } from '../live-socket'

const lk = installLiveKitDouble()
beforeEach(() => lk.reset())

let mentor: TestUser
beforeAll(async () => {
  mentor = await registerUser({ role: 'mentor' })
})

const session = (body: Record<string, unknown> = {}) => createSession(mentor.access_token, body)

describe('live session socket: GET /api/v1/live/sessions/{id}/ws', () => {
  it('should welcome participants with who is there, and announce arrivals and departures', async () => {
    const s = await session()
    const host = await connectLive(s.id, mentor.access_token)
    expect(await host.next((f) => f.type === 'welcome')).toMatchObject({ data: { role: 'host', viewers: 1 } })
    const v = await newcomer('viewer')
    expect(
      (await liveApi(`/sessions/${s.id}/join`, { method: 'POST', token: v.token, json: {} })).status,
    ).toBe(200)
    const viewer = await connectLive(s.id, v.token)
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
    expect((await openLiveSocket(s.id, undefined)).res.status).toBe(401)
    const stranger = await newcomer('stranger')
    const early = await openLiveSocket(s.id, stranger.token)
    expect(early.res.status).toBe(403)
    expect((await json(early.res)).error.message).toContain('Join the session first')
    const secret = await session({ is_public: false })
    expect((await openLiveSocket(secret.id, stranger.token)).res.status).toBe(404)
    expect((await liveApi(`/sessions/${s.id}/ws?token=${stranger.token}`)).status).toBe(426)
  })

  it('should tell everyone about start, role changes and kicks, closing the kicked user\u2019s socket with 4003', async () => {
    const s = await session()
    const v = await newcomer('promoted')
    const k = await newcomer('kicked')
    for (const u of [v, k])
      await liveApi(`/sessions/${s.id}/join`, { method: 'POST', token: u.token, json: {} })
    const host = await connectLive(s.id, mentor.access_token)
    const viewer = await connectLive(s.id, v.token)
    const victim = await connectLive(s.id, k.token)

    expect(
      (await liveApi(`/sessions/${s.id}/start`, { method: 'POST', token: mentor.access_token })).status,
    ).toBe(200)
    for (const c of [host, viewer, victim])
      expect(await c.next((f) => f.type === 'session')).toMatchObject({
        data: { session_id: s.id, status: 'live' },
      })

    const promote = await liveApi(`/sessions/${s.id}/participants/${v.id}`, {
      method: 'PATCH',
      token: mentor.access_token,
      json: { role: 'speaker' },
    })
    expect(promote.status).toBe(200)
    expect(await viewer.next((f) => f.type === 'role_changed')).toMatchObject({
      data: { user_id: v.id, role: 'speaker' },
    })
    expect(await host.next((f) => f.type === 'role_changed')).toMatchObject({ data: { user_id: v.id } })

    const kick = await liveApi(`/sessions/${s.id}/participants/${k.id}/kick`, {
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
    expect((await openLiveSocket(s.id, k.token)).res.status).toBe(403)
    host.close()
    viewer.close()
  })

  it('should announce the end, close every socket and refuse new ones with 409', async () => {
    const s = await session()
    const host = await connectLive(s.id, mentor.access_token)
    await liveApi(`/sessions/${s.id}/start`, { method: 'POST', token: mentor.access_token })
    expect(
      (await liveApi(`/sessions/${s.id}/end`, { method: 'POST', token: mentor.access_token })).status,
    ).toBe(200)
    expect(await host.next((f) => f.type === 'session_ended')).toMatchObject({
      data: { session_id: s.id, status: 'ended' },
    })
    expect(await closedWith(host)).toMatchObject({ code: 1000, reason: 'session ended' })
    expect((await openLiveSocket(s.id, mentor.access_token)).res.status).toBe(409)
  })

  it('should close sockets of a deleted session, saying it was deleted', async () => {
    const s = await session()
    const host = await connectLive(s.id, mentor.access_token)
    expect(
      (await liveApi(`/sessions/${s.id}`, { method: 'DELETE', token: mentor.access_token })).status,
    ).toBe(200)
    expect(await host.next((f) => f.type === 'session_ended')).toMatchObject({
      data: { session_id: s.id, deleted: true },
    })
    expect(await closedWith(host)).toMatchObject({ code: 1000 })
  })

  it('should answer bad frames with an error frame naming the problem and keep the socket open', async () => {
    const s = await session()
    const host = await connectLive(s.id, mentor.access_token)
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
    const host = await connectLive(s.id, mentor.access_token)
    const res = await liveApi(`/sessions/${s.id}`, {
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
