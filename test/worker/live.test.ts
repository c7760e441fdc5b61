import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { decodeJwt } from 'jose'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { db } from '../../src/worker/db/client'
import { liveParticipants, liveSessions, recordings } from '../../src/worker/db/schema'
import { call, json, mintToken, registerUser, type TestUser } from '../helpers'
import { installLiveKitDouble, signWebhook, webhookBody } from '../livekit-double'

const lk = installLiveKitDouble()
beforeEach(() => lk.reset())

let mentor: TestUser
let admin: TestUser
let member: string
beforeAll(async () => {
  ;[mentor, admin] = await Promise.all([registerUser({ role: 'mentor' }), registerUser({ role: 'admin' })])
  member = await mintToken('member')
})

const api = (path: string, init: Parameters<typeof call>[1] = {}) => call(`/api/v1/live${path}`, init)

async function create(body: Record<string, unknown> = {}, token = mentor.access_token) {
  const res = await api('/sessions', { method: 'POST', token, json: { title: 'Town hall', ...body } })
  expect(res.status).toBe(201)
  return (await json(res)).data
}

const join = (id: string, token: string, body?: Record<string, unknown>) =>
  api(`/sessions/${id}/join`, { method: 'POST', token, json: body ?? {} })

async function joined(id: string, token: string, body?: Record<string, unknown>) {
  const res = await join(id, token, body)
  expect(res.status).toBe(200)
  return (await json(res)).data
}

const post = (path: string, token: string) => api(path, { method: 'POST', token })
const setRole = (id: string, userId: string, role: string, token = mentor.access_token) =>
  api(`/sessions/${id}/participants/${userId}`, { method: 'PATCH', token, json: { role } })

/** A participant token: a fresh member identity (no user row needed to join). */
async function newcomer(tag: string) {
  const id = `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
  return { id, token: await mintToken('member', id) }
}

const video = (token: string) => (decodeJwt(token) as { video: Record<string, unknown> }).video

/** The LiveKit `video` grant each role's token must carry, field by field (README table). */
const ADMIN_GRANT = {
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  roomAdmin: true,
  canUpdateOwnMetadata: true,
}
const EXPECTED_GRANT = {
  host: ADMIN_GRANT,
  co_host: ADMIN_GRANT,
  speaker: { canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: false },
  viewer: { canPublish: false, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: false },
}
const grantOf = (room: string, role: keyof typeof EXPECTED_GRANT) => ({
  roomJoin: true,
  room,
  ...EXPECTED_GRANT[role],
})

describe('POST /api/v1/live/sessions', () => {
  it('should create a public session with a host token carrying host grants', async () => {
    const data = await create({ description: 'Q&A', max_participants: 50 })
    expect(data.session_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(data.invite_link).toBe(`http://localhost:8787/live/${data.session_id}`)
    expect(data.server_url).toMatch(/^ws:\/\/livekit(-edge)?\.test$/)
    expect(data.session).toMatchObject({
      owner_id: mentor.id,
      title: 'Town hall',
      description: 'Q&A',
      status: 'scheduled',
      max_participants: 50,
      is_public: true,
      participant_count: 0,
    })
    const claims = decodeJwt(data.host_token)
    expect(claims.sub).toBe(mentor.id)
    expect(claims.exp! - claims.nbf!).toBe(600)
    expect(video(data.host_token)).toEqual(grantOf(data.session_id, 'host'))
  })

  it('should give a private session an invite token stored only hashed', async () => {
    const data = await create({ is_public: false })
    const invite = new URL(data.invite_link).searchParams.get('token')!
    expect(invite.length).toBeGreaterThanOrEqual(40)
    const row = await db(env.DB).select().from(liveSessions).where(eq(liveSessions.id, data.session_id)).get()
    expect(row!.inviteTokenHash).toMatch(/^[0-9a-f]{64}$/)
    expect(row!.inviteTokenHash).not.toContain(invite)
  })

  it('should let admins create, refuse members (403) and anonymous callers (401)', async () => {
    expect((await create({}, admin.access_token)).session.owner_id).toBe(admin.id)
    const body = { title: 'x' }
    expect((await api('/sessions', { method: 'POST', token: member, json: body })).status).toBe(403)
    expect((await api('/sessions', { method: 'POST', json: body })).status).toBe(401)
  })

  it('should answer 400 naming each bad field, creating nothing', async () => {
    const res = await api('/sessions', {
      method: 'POST',
      token: mentor.access_token,
      json: { title: '', max_participants: 0, scheduled_at: 'tomorrow' },
    })
    expect(res.status).toBe(400)
    const body = await json(res)
    expect(body.error.code).toBe('validation_failed')
    const paths = body.error.details.fields.map((f: { path: string }) => f.path).sort()
    expect(paths).toEqual(['max_participants', 'scheduled_at', 'title'])
  })
})

describe('GET /api/v1/live/sessions and /sessions/{id}', () => {
  it('should list public sessions only, filtered by status', async () => {
    const pub = await create({ title: 'Public one' })
    const priv = await create({ title: 'Private one', is_public: false })
    const list = (await json(await api('/sessions?limit=100'))).data
    const ids = list.sessions.map((s: { session_id: string }) => s.session_id)
    expect(ids).toContain(pub.session_id)
    expect(ids).not.toContain(priv.session_id)
    expect((await post(`/sessions/${pub.session_id}/start`, mentor.access_token)).status).toBe(200)
    const live = (await json(await api('/sessions?status=live&limit=100'))).data.sessions
    expect(live.every((s: { status: string }) => s.status === 'live')).toBe(true)
    expect(live.map((s: { session_id: string }) => s.session_id)).toContain(pub.session_id)
    const scheduled = (await json(await api('/sessions?status=scheduled&limit=100'))).data.sessions
    expect(scheduled.map((s: { session_id: string }) => s.session_id)).not.toContain(pub.session_id)
  })

  it('should answer 400 naming status for an unknown status', async () => {
    const res = await api('/sessions?status=paused')
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields[0].path).toBe('status')
  })

  it('should show a public session with its participants to anyone', async () => {
    const s = await create()
    const viewer = await newcomer('viewer')
    await joined(s.session_id, viewer.token, { display_name: 'Watcher' })
    const res = await api(`/sessions/${s.session_id}`)
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data.participant_count).toBe(1)
    expect(data.participants).toEqual([
      expect.objectContaining({ user_id: viewer.id, display_name: 'Watcher', role: 'viewer', kicked: false }),
    ])
  })

  it('should hide a private session (404) from all but its owner, admins and participants', async () => {
    const s = await create({ is_public: false })
    expect((await api(`/sessions/${s.session_id}`)).status).toBe(404)
    expect((await api(`/sessions/${s.session_id}`, { token: member })).status).toBe(404)
    expect((await api(`/sessions/${s.session_id}`, { token: mentor.access_token })).status).toBe(200)
    expect((await api(`/sessions/${s.session_id}`, { token: admin.access_token })).status).toBe(200)
    expect((await api('/sessions/00000000-0000-0000-0000-000000000000')).status).toBe(404)
  })
})

describe('POST /api/v1/live/sessions/{id}/join — grants per role', () => {
  it('should make the owner host: publish, subscribe, data, roomAdmin', async () => {
    const s = await create()
    const data = await joined(s.session_id, mentor.access_token)
    expect(data).toMatchObject({
      session_id: s.session_id,
      role: 'host',
      can_publish: true,
      can_subscribe: true,
      can_publish_data: true,
      room_admin: true,
      server_url: s.server_url,
    })
    expect(decodeJwt(data.access_token).sub).toBe(mentor.id)
    expect(video(data.access_token)).toEqual(grantOf(s.session_id, 'host'))
  })

  it('should make anyone else a viewer: subscribe and data only', async () => {
    const s = await create()
    const v = await newcomer('viewer')
    const data = await joined(s.session_id, v.token, { display_name: 'Vic' })
    expect(data).toMatchObject({ role: 'viewer', can_publish: false, can_subscribe: true, room_admin: false })
    const claims = decodeJwt(data.access_token)
    expect(claims.sub).toBe(v.id)
    expect(claims.name).toBe('Vic')
    expect(video(data.access_token)).toEqual(grantOf(s.session_id, 'viewer'))
  })

  it('should give a speaker publish without admin, and a co-host publish with admin', async () => {
    const s = await create()
    const sp = await newcomer('speaker')
    const co = await newcomer('cohost')
    await joined(s.session_id, sp.token)
    await joined(s.session_id, co.token)
    expect((await setRole(s.session_id, sp.id, 'speaker')).status).toBe(200)
    expect((await setRole(s.session_id, co.id, 'co_host')).status).toBe(200)
    const speaker = await joined(s.session_id, sp.token)
    expect(speaker).toMatchObject({ role: 'speaker', can_publish: true, room_admin: false })
    expect(video(speaker.access_token)).toEqual(grantOf(s.session_id, 'speaker'))
    const cohost = await joined(s.session_id, co.token)
    expect(cohost).toMatchObject({ role: 'co_host', can_publish: true, room_admin: true })
    expect(video(cohost.access_token)).toEqual(grantOf(s.session_id, 'co_host'))
  })

  it('should sign tokens with the session node’s key, accepted by that node', async () => {
    const s = await create()
    const data = await joined(s.session_id, mentor.access_token)
    const row = await db(env.DB).select().from(liveSessions).where(eq(liveSessions.id, s.session_id)).get()
    expect(decodeJwt(data.access_token).iss).toBe(lk.node(row!.node!).apiKey)
  })

  it('should require the invite token for a private session, except for its owner', async () => {
    const s = await create({ is_public: false })
    const invite = new URL(s.invite_link).searchParams.get('token')!
    const guest = await newcomer('guest')
    const missing = await join(s.session_id, guest.token)
    expect(missing.status).toBe(403)
    expect((await json(missing)).error.message).toMatch(/invite token is required/)
    expect((await join(s.session_id, guest.token, { invite_token: 'wrong' })).status).toBe(403)
    expect((await joined(s.session_id, guest.token, { invite_token: invite })).role).toBe('viewer')
    // Once in, a participant rejoins without it; the owner never needs it.
    expect((await join(s.session_id, guest.token)).status).toBe(200)
    expect((await join(s.session_id, mentor.access_token)).status).toBe(200)
  })

  it('should answer 401 without a token and 404 for an unknown session', async () => {
    const s = await create()
    expect((await api(`/sessions/${s.session_id}/join`, { method: 'POST', json: {} })).status).toBe(401)
    expect((await join('00000000-0000-0000-0000-000000000000', member)).status).toBe(404)
  })

  it('should refuse joins beyond max_participants (409) but let the host in', async () => {
    const s = await create({ max_participants: 1 })
    await joined(s.session_id, (await newcomer('first')).token)
    const second = await join(s.session_id, (await newcomer('second')).token)
    expect(second.status).toBe(409)
    expect((await json(second)).error.message).toMatch(/full/)
    expect((await join(s.session_id, mentor.access_token)).status).toBe(200)
  })

  it('should free a place when LiveKit says a participant left, and take it back when they return', async () => {
    const s = await create({ max_participants: 1 })
    const first = await newcomer('leaver')
    await joined(s.session_id, first.token)
    expect((await join(s.session_id, (await newcomer('waiting')).token)).status).toBe(409)
    const hook = (event: string, identity: string) => {
      const body = webhookBody(event, {
        room: { name: s.session_id },
        participant: { sid: 'PA_x', identity },
      })
      return signWebhook(body).then((authorization) =>
        call('/webhook', {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/webhook+json' },
          body,
        }),
      )
    }
    const left = await hook('participant_left', first.id)
    expect((await json(left)).data).toMatchObject({ handled: true, changed: true })
    expect((await json(await hook('participant_left', first.id))).data.changed).toBe(false) // a repeat
    const row = await db(env.DB)
      .select()
      .from(liveParticipants)
      .where(eq(liveParticipants.userId, first.id))
      .get()
    expect(row!.leftAt).toEqual(expect.any(Number))
    const next = await newcomer('next')
    expect((await join(s.session_id, next.token)).status).toBe(200)
    // The leaver comes back into LiveKit (their token is still valid): active again.
    expect((await json(await hook('participant_joined', first.id))).data.changed).toBe(true)
    expect((await json(await api(`/sessions/${s.session_id}`))).data.participant_count).toBe(2)
  })

  it('should not overfill a session when joins race', async () => {
    const s = await create({ max_participants: 2 })
    const people = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => newcomer(`racer${i}`)))
    const results = await Promise.all(people.map((p) => join(s.session_id, p.token)))
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 409, 409, 409, 409])
    expect((await json(await api(`/sessions/${s.session_id}`))).data.participant_count).toBe(2)
  })

  it('should keep a role granted meanwhile when a participant rejoins', async () => {
    const s = await create()
    const p = await newcomer('keeper')
    await joined(s.session_id, p.token)
    await setRole(s.session_id, p.id, 'speaker')
    expect((await joined(s.session_id, p.token, { display_name: 'Renamed' })).role).toBe('speaker')
  })

  it('should answer 400 naming display_name when it is empty', async () => {
    const s = await create()
    const res = await join(s.session_id, member, { display_name: '' })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields[0].path).toBe('display_name')
  })
})

describe('session lifecycle', () => {
  it('should start: create the LiveKit room with max_participants, status live', async () => {
    const s = await create({ max_participants: 25 })
    const res = await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data.status).toBe('live')
    expect(data.started_at).not.toBeNull()
    const [createCall] = lk.callsOf('RoomService/CreateRoom')
    expect(createCall.status).toBe(200)
    expect(createCall.grant.roomCreate).toBe(true)
    expect(lk.whereIs(s.session_id)?.rooms.get(s.session_id)?.max_participants).toBe(25)
    expect((await post(`/sessions/${s.session_id}/start`, mentor.access_token)).status).toBe(409)
  })

  it('should let only the owner or an admin start, end, update or delete', async () => {
    const s = await create()
    const other = await mintToken('mentor')
    for (const [method, path] of [
      ['POST', `/sessions/${s.session_id}/start`],
      ['POST', `/sessions/${s.session_id}/end`],
      ['DELETE', `/sessions/${s.session_id}`],
    ])
      expect((await api(path, { method, token: other })).status).toBe(403)
    expect(
      (await api(`/sessions/${s.session_id}`, { method: 'PATCH', token: other, json: { title: 'x' } }))
        .status,
    ).toBe(403)
    expect((await post(`/sessions/${s.session_id}/start`, admin.access_token)).status).toBe(200)
    expect(lk.callsOf()).toHaveLength(1)
  })

  it('should end: delete the LiveKit room, mark everyone left, refuse later joins', async () => {
    const s = await create()
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    const v = await newcomer('viewer')
    await joined(s.session_id, v.token)
    const res = await post(`/sessions/${s.session_id}/end`, mentor.access_token)
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ status: 'ended', participant_count: 0 })
    const [del] = lk.callsOf('RoomService/DeleteRoom')
    expect(del.status).toBe(200)
    expect(lk.whereIs(s.session_id)).toBeUndefined()
    const rejoin = await join(s.session_id, v.token)
    expect(rejoin.status).toBe(409)
    expect((await post(`/sessions/${s.session_id}/end`, mentor.access_token)).status).toBe(409)
  })

  it('should answer 503 naming LiveKit when the node is down, and leave the session live', async () => {
    const s = await create()
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    const row = await db(env.DB).select().from(liveSessions).where(eq(liveSessions.id, s.session_id)).get()
    lk.setDown(row!.node!)
    const res = await post(`/sessions/${s.session_id}/end`, mentor.access_token)
    expect(res.status).toBe(503)
    const body = await json(res)
    expect(body.error.code).toBe('upstream_unavailable')
    expect(body.error.message).toMatch(/LiveKit/)
    expect((await json(await api(`/sessions/${s.session_id}`))).data.status).toBe('live')
  })

  it('should still mint join tokens while LiveKit is down', async () => {
    const s = await create()
    for (const n of lk.nodes.keys()) lk.setDown(n)
    const data = await joined(s.session_id, (await newcomer('offline')).token)
    expect(data.access_token.split('.')).toHaveLength(3)
  })

  it('should update fields, and issue a new invite when made private', async () => {
    const s = await create()
    const res = await api(`/sessions/${s.session_id}`, {
      method: 'PATCH',
      token: mentor.access_token,
      json: { title: 'Renamed', is_public: false },
    })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data).toMatchObject({ title: 'Renamed', is_public: false })
    const invite = new URL(data.invite_link).searchParams.get('token')!
    const guest = await newcomer('guest')
    expect((await join(s.session_id, guest.token)).status).toBe(403)
    expect((await join(s.session_id, guest.token, { invite_token: invite })).status).toBe(200)
  })

  it('should answer 400 for an empty update and 409 once ended', async () => {
    const s = await create()
    const empty = await api(`/sessions/${s.session_id}`, {
      method: 'PATCH',
      token: mentor.access_token,
      json: {},
    })
    expect(empty.status).toBe(400)
    await post(`/sessions/${s.session_id}/end`, mentor.access_token)
    const late = await api(`/sessions/${s.session_id}`, {
      method: 'PATCH',
      token: mentor.access_token,
      json: { title: 'late' },
    })
    expect(late.status).toBe(409)
  })

  it('should delete a live session, its LiveKit room and participants', async () => {
    const s = await create()
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    await joined(s.session_id, (await newcomer('v')).token)
    const res = await api(`/sessions/${s.session_id}`, { method: 'DELETE', token: mentor.access_token })
    expect(res.status).toBe(200)
    expect(lk.callsOf('RoomService/DeleteRoom')[0].status).toBe(200)
    expect((await api(`/sessions/${s.session_id}`)).status).toBe(404)
    const left = await db(env.DB)
      .select()
      .from(liveParticipants)
      .where(eq(liveParticipants.sessionId, s.session_id))
      .all()
    expect(left).toEqual([])
  })
})

describe('participants: role change and kick', () => {
  it('should update a connected participant’s LiveKit permissions when promoted while live', async () => {
    const s = await create()
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    const v = await newcomer('promoted')
    await joined(s.session_id, v.token)
    lk.join(s.session_id, v.id)
    const res = await setRole(s.session_id, v.id, 'speaker')
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ user_id: v.id, role: 'speaker' })
    const [update] = lk.callsOf('RoomService/UpdateParticipant')
    expect(update.status).toBe(200)
    expect(update.grant).toMatchObject({ roomAdmin: true, room: s.session_id })
    const permission = lk.whereIs(s.session_id)!.rooms.get(s.session_id)!.participants.get(v.id)!.permission
    expect(permission).toMatchObject({ can_publish: true, can_subscribe: true, can_publish_data: true })
  })

  it('should let a co-host manage viewers but not name co-hosts or touch the host', async () => {
    const s = await create()
    const co = await newcomer('co')
    const v = await newcomer('v')
    await joined(s.session_id, co.token)
    await joined(s.session_id, v.token)
    await setRole(s.session_id, co.id, 'co_host')
    expect((await setRole(s.session_id, v.id, 'speaker', co.token)).status).toBe(200)
    expect((await setRole(s.session_id, v.id, 'co_host', co.token)).status).toBe(403)
    await joined(s.session_id, mentor.access_token)
    expect((await setRole(s.session_id, mentor.id, 'viewer', co.token)).status).toBe(403)
    expect((await setRole(s.session_id, mentor.id, 'viewer')).status).toBe(403)
    expect((await setRole(s.session_id, co.id, 'viewer', v.token)).status).toBe(403)
  })

  it('should answer 400 naming role for host or nonsense, and 404 for a non-participant', async () => {
    const s = await create()
    const v = await newcomer('v')
    await joined(s.session_id, v.token)
    for (const role of ['host', 'king']) {
      const res = await setRole(s.session_id, v.id, role)
      expect(res.status).toBe(400)
      expect((await json(res)).error.details.fields[0].path).toBe('role')
    }
    expect((await setRole(s.session_id, 'nobody', 'speaker')).status).toBe(404)
  })

  it('should kick: RemoveParticipant on LiveKit, marked kicked, cannot rejoin', async () => {
    const s = await create()
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    const v = await newcomer('kicked')
    await joined(s.session_id, v.token)
    lk.join(s.session_id, v.id)
    const res = await post(`/sessions/${s.session_id}/participants/${v.id}/kick`, mentor.access_token)
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ user_id: v.id, kicked: true })
    const [remove] = lk.callsOf('RoomService/RemoveParticipant')
    expect(remove.status).toBe(200)
    expect(remove.grant).toMatchObject({ roomAdmin: true, room: s.session_id })
    expect(lk.whereIs(s.session_id)!.rooms.get(s.session_id)!.participants.has(v.id)).toBe(false)
    const rejoin = await join(s.session_id, v.token)
    expect(rejoin.status).toBe(403)
    expect((await json(rejoin)).error.message).toMatch(/removed/)
    const detail = (await json(await api(`/sessions/${s.session_id}`))).data
    expect(detail.participants.map((p: { user_id: string }) => p.user_id)).not.toContain(v.id)
  })

  it('should kick a participant who is not connected to LiveKit', async () => {
    const s = await create()
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    const v = await newcomer('absent')
    await joined(s.session_id, v.token)
    expect(
      (await post(`/sessions/${s.session_id}/participants/${v.id}/kick`, mentor.access_token)).status,
    ).toBe(200)
    expect((await join(s.session_id, v.token)).status).toBe(403)
  })

  it('should refuse kicks by viewers (403) and leave LiveKit alone', async () => {
    const s = await create()
    const a = await newcomer('a')
    const b = await newcomer('b')
    await joined(s.session_id, a.token)
    await joined(s.session_id, b.token)
    expect((await post(`/sessions/${s.session_id}/participants/${b.id}/kick`, a.token)).status).toBe(403)
    expect(lk.callsOf()).toHaveLength(0)
  })
})

describe('recording', () => {
  it('should start a room-composite egress to R2 and stop it', async () => {
    const s = await create()
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    const res = await post(`/sessions/${s.session_id}/recording/start`, mentor.access_token)
    expect(res.status).toBe(200)
    const rec = (await json(res)).data
    expect(rec.r2_key).toMatch(new RegExp(`^recordings/live/${s.session_id}/.+\\.mp4$`))
    const [start] = lk.callsOf('Egress/StartRoomCompositeEgress')
    expect(start.status).toBe(200)
    expect(start.grant.roomRecord).toBe(true)
    expect(start.body.room_name ?? start.body.roomName).toBe(s.session_id)
    expect((await json(await api(`/sessions/${s.session_id}`))).data.recording).toBe(true)
    expect((await post(`/sessions/${s.session_id}/recording/start`, mentor.access_token)).status).toBe(409)

    const stop = await post(`/sessions/${s.session_id}/recording/stop`, mentor.access_token)
    expect(stop.status).toBe(200)
    expect((await json(stop)).data).toMatchObject({ recording_id: rec.recording_id, status: 'ending' })
    expect(lk.callsOf('Egress/StopEgress')[0].status).toBe(200)
    const row = await db(env.DB).select().from(recordings).where(eq(recordings.id, rec.recording_id)).get()
    expect(row).toMatchObject({ room: s.session_id, egressId: rec.egress_id, status: 'ending' })
    expect((await post(`/sessions/${s.session_id}/recording/stop`, mentor.access_token)).status).toBe(409)
  })

  it('should refuse to record a session that is not live (409) or for a non-owner (403)', async () => {
    const s = await create()
    expect((await post(`/sessions/${s.session_id}/recording/start`, mentor.access_token)).status).toBe(409)
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    expect((await post(`/sessions/${s.session_id}/recording/start`, member)).status).toBe(403)
    expect(lk.callsOf('Egress/StartRoomCompositeEgress')).toHaveLength(0)
  })

  it('should release the slot when LiveKit refuses the egress', async () => {
    const s = await create()
    await post(`/sessions/${s.session_id}/start`, mentor.access_token)
    lk.failNext('Egress/StartRoomCompositeEgress', 500, 'internal', 'no egress workers')
    const res = await post(`/sessions/${s.session_id}/recording/start`, mentor.access_token)
    expect(res.status).toBe(502)
    expect((await json(res)).error.message).toMatch(/LiveKit/)
    expect((await post(`/sessions/${s.session_id}/recording/start`, mentor.access_token)).status).toBe(200)
  })
})
