import { env } from 'cloudflare:workers'
import { and, eq } from 'drizzle-orm'
import { decodeJwt } from 'jose'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, links, roomUsers, serviceSettings } from '../../src/worker/db/schema'
import { call, generateParticipant, json, mintToken, serviceToken } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

const lk = installLiveKitDouble()
let staff: string
let member: string
beforeAll(async () => {
  ;[staff, member] = await Promise.all([serviceToken(), mintToken('member')])
})
beforeEach(() => lk.reset())

let seq = 0
const room = () => `jl-${Date.now().toString(36)}-${++seq}`

/** A room (created through /user/generate) and a link into it. */
async function roomWithLink(link: Record<string, unknown> = {}, name = room()) {
  await generateParticipant(staff, name)
  const res = await call('/link/create', {
    method: 'POST',
    token: staff,
    json: { room: name, userType: 'caller', ...link },
  })
  expect(res.status).toBe(200)
  return (await json(res)).data as { linkID: string; room: string }
}

const join = (body: Record<string, unknown>, token?: string) =>
  call('/user/joingenerate', { method: 'POST', token, json: body })
const joinForm = (fields: Record<string, string>) =>
  call('/user/joingenerate', { method: 'POST', body: new URLSearchParams(fields) })
const participant = (r: string, identity: string) =>
  db(env.DB)
    .select()
    .from(roomUsers)
    .where(and(eq(roomUsers.room, r), eq(roomUsers.identity, identity)))
    .get()

describe('POST /user/joingenerate with a linkID (no bearer)', () => {
  it('should answer the link room’s grant with the link’s userType and record the participant', async () => {
    const link = await roomWithLink({ userName: 'Somchai' })
    const res = await join({ linkID: link.linkID, socketId: 'sock-abc' })
    expect(res.status).toBe(200)
    const { status, data } = await json(res)
    expect(status).toBe('SUCCESS')
    expect(Object.keys(data).sort()).toEqual(['identity', 'room', 'token', 'url'])
    expect(data.room).toBe(link.room)
    expect(data.identity).toMatch(/^caller-[a-z0-9]{8}$/)
    expect(data.url).toMatch(/^ws:\/\//)
    const claims = decodeJwt(data.token) as any
    expect(claims.sub).toBe(data.identity)
    expect(claims.name).toBe('Somchai')
    expect(claims.video).toMatchObject({ room: link.room, roomJoin: true, canPublish: true })
    expect(claims.video.canPublishSources).toEqual(['camera', 'microphone'])
    expect(await participant(link.room, data.identity)).toMatchObject({
      name: 'Somchai',
      userType: 'caller',
      linkId: link.linkID,
      socketId: 'sock-abc',
    })
    const row = await db(env.DB).select().from(links).where(eq(links.id, link.linkID)).get()
    expect(row!.usedAt).not.toBeNull()
    expect(row!.connectedAt).not.toBeNull()
  })

  it('should accept the linkID as a form, as seed 000’s FormValue does, and take userName from it', async () => {
    const link = await roomWithLink()
    const res = await joinForm({ linkID: link.linkID, userName: 'From a form' })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    expect((await participant(link.room, data.identity))!.name).toBe('From a form')
  })

  it('should join a one-time link once: a second join gets 410 and adds nobody', async () => {
    const link = await roomWithLink({ oneTime: true })
    expect((await join({ linkID: link.linkID })).status).toBe(200)
    const again = await join({ linkID: link.linkID })
    expect(again.status).toBe(410)
    expect(await json(again)).toMatchObject({ status: 'FAIL', message: 'Link has already been used' })
    const rows = await db(env.DB).select().from(roomUsers).where(eq(roomUsers.linkId, link.linkID))
    expect(rows).toHaveLength(1)
  })

  it('should let exactly one of several racing joins of a one-time link win', async () => {
    const link = await roomWithLink({ oneTime: true })
    const results = await Promise.all(Array.from({ length: 5 }, () => join({ linkID: link.linkID })))
    expect(results.map((r) => r.status).sort()).toEqual([200, 410, 410, 410, 410])
  })

  it('should let the caller’s page open a one-time link and then join it once; later opens get 410', async () => {
    const link = await roomWithLink({ oneTime: true })
    expect((await call(`/link/getdetail?linkID=${link.linkID}`)).status).toBe(200)
    expect((await join({ linkID: link.linkID })).status).toBe(200)
    expect((await call(`/link/getdetail?linkID=${link.linkID}`)).status).toBe(410)
    expect((await join({ linkID: link.linkID })).status).toBe(410)
  })

  it('should let an expiring (not one-time) link join several participants', async () => {
    const link = await roomWithLink()
    const a = await json(await join({ linkID: link.linkID }))
    const b = await json(await join({ linkID: link.linkID }))
    expect(a.data.identity).not.toBe(b.data.identity)
  })

  it('should answer 404 for an unknown link and 410 for an expired or a disabled one', async () => {
    expect((await join({ linkID: 'NoSuchLinkX' })).status).toBe(404)
    const expired = await roomWithLink()
    await db(env.DB)
      .update(links)
      .set({ expiresAt: Date.now() - 1000 })
      .where(eq(links.id, expired.linkID))
    const e = await join({ linkID: expired.linkID })
    expect(e.status).toBe(410)
    expect((await json(e)).message).toBe('Link has expired')
    const disabled = await roomWithLink()
    await db(env.DB).update(links).set({ enabled: false }).where(eq(links.id, disabled.linkID))
    const d = await join({ linkID: disabled.linkID })
    expect(d.status).toBe(410)
    expect((await json(d)).message).toBe('Link is disabled')
  })

  it('should join an HLS link as a viewer (subscribe only)', async () => {
    const name = room()
    await generateParticipant(staff, name)
    const link = (
      await json(await call('/link/create/hls', { method: 'POST', token: staff, json: { room: name } }))
    ).data
    const { data } = await json(await join({ linkID: link.linkID }))
    expect(data.identity).toMatch(/^viewer-/)
    expect((decodeJwt(data.token) as any).video).toMatchObject({ canPublish: false, canSubscribe: true })
  })

  it('should answer 409 for a link whose userType cannot join a call', async () => {
    const link = await roomWithLink({ userType: 'dispatcher-screen' })
    const res = await join({ linkID: link.linkID })
    expect(res.status).toBe(409)
    expect((await json(res)).message).toMatch(/dispatcher-screen/)
  })

  it('should answer 404 when the link’s room does not exist and 409 when it is closed, leaving a one-time link unspent', async () => {
    const res = await call('/link/create', {
      method: 'POST',
      token: staff,
      json: { room: room(), userType: 'caller', oneTime: true },
    })
    const orphan = (await json(res)).data
    expect((await join({ linkID: orphan.linkID })).status).toBe(404)
    const link = await roomWithLink({ oneTime: true })
    await db(env.DB)
      .update(conferenceRooms)
      .set({ status: 'closed' })
      .where(eq(conferenceRooms.name, link.room))
    const closed = await join({ linkID: link.linkID })
    expect(closed.status).toBe(409)
    const row = await db(env.DB).select().from(links).where(eq(links.id, link.linkID)).get()
    expect(row!.usedAt).toBeNull()
  })

  it('should answer 400 naming linkID when it is malformed', async () => {
    const res = await join({ linkID: 'no spaces allowed' })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('linkID')
  })
})

describe('POST /user/joingenerate without a linkID', () => {
  it('should answer 401 without a bearer and 403 for a member', async () => {
    const name = room()
    await generateParticipant(staff, name)
    expect((await join({ room: name, userName: 'X' })).status).toBe(401)
    expect((await join({ room: name, userName: 'X' }, member)).status).toBe(403)
  })

  it('should answer 400 naming room and userName for staff who give neither', async () => {
    const res = await join({}, staff)
    expect(res.status).toBe(400)
    const paths = (await json(res)).data.details.fields.map((f: { path: string }) => f.path)
    expect(paths).toEqual(['room', 'userName'])
  })

  it('should store the socketId given, and /user/getuserdetail should find the participant by it', async () => {
    const name = room()
    await generateParticipant(staff, name)
    const { data } = await json(await join({ room: name, userName: 'Agent B', socketId: 'sio-42' }, staff))
    const res = await call(`/user/getuserdetail?room=${name}&socketId=sio-42`, { token: staff })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({ identity: data.identity, socket_id: 'sio-42' })
    expect((await call(`/user/getuserdetail?room=${name}&socketId=other`, { token: staff })).status).toBe(404)
  })
})

describe('GET /link/getdetail by room and userType', () => {
  it('should give staff the newest link of a room (of a userType) without consuming it', async () => {
    const name = room()
    const first = await roomWithLink({ userType: 'caller', oneTime: true }, name)
    await new Promise((r) => setTimeout(r, 5))
    const second = await call('/link/create', {
      method: 'POST',
      token: staff,
      json: { room: name, userType: 'agent' },
    })
    const agentLink = (await json(second)).data
    const all = await json(await call(`/link/getdetail?room=${name}`, { token: staff }))
    expect(all.data.linkID).toBe(agentLink.linkID)
    const caller = await json(await call(`/link/getdetail?room=${name}&userType=caller`, { token: staff }))
    expect(caller.data).toMatchObject({ linkID: first.linkID, used: false })
    expect((await call(`/link/getdetail?room=${name}&userType=car`, { token: staff })).status).toBe(404)
  })

  it('should answer 401 without a bearer and 403 for a member', async () => {
    const link = await roomWithLink()
    expect((await call(`/link/getdetail?room=${link.room}`)).status).toBe(401)
    expect((await call(`/link/getdetail?room=${link.room}`, { token: member })).status).toBe(403)
  })
})

describe('GET /link/get/domain with sender and linkType', () => {
  it('should prefer the sender’s domain and answer the link type’s share base', async () => {
    const service = 7000 + Math.floor(Math.random() * 1000)
    await db(env.DB)
      .insert(serviceSettings)
      .values({
        service,
        name: 'Ambulance',
        domain: 'https://join.example',
        settings: JSON.stringify({ senderDomains: { line: 'https://line.example/' } }),
      })
    const ask = async (q: string) => (await json(await call(`/link/get/domain?service=${service}&${q}`))).data
    expect(await ask('sender=line&linkType=hls')).toEqual({
      service,
      domain: 'https://line.example',
      source: 'sender',
      linkType: 'hls',
      url: 'https://line.example/hls',
    })
    expect(await ask('sender=sms')).toEqual({ service, domain: 'https://join.example', source: 'service' })
    const bad = await call(`/link/get/domain?service=${service}&linkType=fax`)
    expect(bad.status).toBe(400)
    expect((await json(bad)).data.details.fields[0].path).toBe('linkType')
  })

  it('should take the type from a named link', async () => {
    const link = await roomWithLink()
    const { data } = await json(await call(`/link/get/domain?linkID=${link.linkID}`))
    expect(data).toMatchObject({
      source: 'default',
      linkType: 'conference',
      url: 'http://localhost:8787/join',
    })
  })
})
