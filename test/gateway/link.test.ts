import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { db } from '../../src/worker/db/client'
import { links, serviceSettings, smsLogs } from '../../src/worker/db/schema'
import { call, json, mintToken } from '../helpers'

let agent: string
let member: string
let service: string
const charset = 'ABCDEFGHIJKLMOPQRSTUVWXYZabcdefghijklmopqrstuvwxyz'
let roomSeq = 0
const room = () => `link-room-${Date.now().toString(36)}-${++roomSeq}`

beforeAll(async () => {
  ;[agent, member, service] = await Promise.all([
    mintToken('agent'),
    mintToken('member'),
    mintToken('service'),
  ])
})

async function createLink(body: Record<string, unknown>, token = agent, path = '/link/create') {
  const res = await call(path, { method: 'POST', token, json: body })
  expect(res.status).toBe(200)
  const out = await json(res)
  expect(out.status).toBe('SUCCESS')
  return out.data
}

const open = (id: string, token?: string) => call(`/link/getdetail?linkID=${id}`, { token })
const expire = (id: string) =>
  db(env.DB)
    .update(links)
    .set({ expiresAt: Date.now() - 1000 })
    .where(eq(links.id, id))

describe('POST /link/create', () => {
  it('should create a link with a CUSTOM_CHARSET id and an API_URL share URL', async () => {
    const r = room()
    const link = await createLink({ room: r, userType: 'caller', userName: 'Somchai' })
    expect(link.linkID).toHaveLength(10)
    expect([...link.linkID].every((ch: string) => charset.includes(ch))).toBe(true)
    expect(link.url).toBe(`http://localhost:8787/join/${link.linkID}`)
    expect(link).toMatchObject({
      room: r,
      type: 'conference',
      userType: 'caller',
      userName: 'Somchai',
      oneTime: false,
      used: false,
      enabled: true,
      expired: false,
      sms: null,
    })
    // Default lifetime: ROOM_DAY_DEFAULT_TIMEOUT (24H).
    const lifetime = Date.parse(link.expiresAt) - Date.parse(link.createdAt)
    expect(Math.abs(lifetime - 86_400_000)).toBeLessThan(5000)
  })

  it('should point the share URL at the service’s domain when it has one', async () => {
    await db(env.DB)
      .insert(serviceSettings)
      .values({ service: 41, name: 'SOS North', domain: 'https://north.sos.test' })
      .onConflictDoNothing()
    const link = await createLink({ room: room(), userType: 'caller', service: 41 })
    expect(link.url).toBe(`https://north.sos.test/join/${link.linkID}`)
  })

  it('should log (not send) an SMS with the share URL when a phone is given and SMS_ENABLE is off', async () => {
    await db(env.DB)
      .insert(serviceSettings)
      .values({ service: 42, name: 'SOS', domain: 'https://sos.test', smsTemplate: '{name} {room}: {url}' })
      .onConflictDoNothing()
    const r = room()
    const link = await createLink({ room: r, userType: 'caller', phone: '+66812345678', service: 42 })
    expect(link.sms).toMatchObject({ phone: '+66812345678', status: 'logged', error: null })
    const row = await db(env.DB).select().from(smsLogs).where(eq(smsLogs.id, link.sms.id)).get()
    expect(row).toMatchObject({ linkId: link.linkID, room: r, status: 'logged' })
    expect(row!.message).toBe(`SOS ${r}: https://sos.test/join/${link.linkID}`)
  })

  it('should accept a service token', async () => {
    const link = await createLink({ room: room(), userType: 'caller' }, service)
    expect(link.enabled).toBe(true)
  })

  it('should answer 401 without a token and 403 for a member', async () => {
    const body = { room: room(), userType: 'caller' }
    const anon = await call('/link/create', { method: 'POST', json: body })
    expect(anon.status).toBe(401)
    expect((await json(anon)).status).toBe('FAIL')
    expect((await call('/link/create', { method: 'POST', token: member, json: body })).status).toBe(403)
  })

  it('should answer 400 naming each bad field and create nothing', async () => {
    const r = room()
    const res = await call('/link/create', {
      method: 'POST',
      token: agent,
      json: { room: r, phone: 'call me', expiresIn: 5 },
    })
    expect(res.status).toBe(400)
    const body = await json(res)
    expect(body.status).toBe('FAIL')
    const paths = body.data.details.fields.map((f: { path: string }) => f.path).sort()
    expect(paths).toEqual(['expiresIn', 'phone', 'userType'])
    expect(await db(env.DB).select().from(links).where(eq(links.room, r)).all()).toEqual([])
  })

  it('should honour expiresIn', async () => {
    const link = await createLink({ room: room(), userType: 'caller', expiresIn: 600 })
    const lifetime = Date.parse(link.expiresAt) - Date.parse(link.createdAt)
    expect(Math.abs(lifetime - 600_000)).toBeLessThan(5000)
  })
})

describe('POST /link/create/hls and /link/cartracking', () => {
  it('should create an HLS viewer link under /hls/', async () => {
    const link = await createLink({ room: room() }, agent, '/link/create/hls')
    expect(link).toMatchObject({ type: 'hls', userType: 'hls' })
    expect(link.url).toBe(`http://localhost:8787/hls/${link.linkID}`)
  })

  it('should create a car-tracking link under /car/ naming the car', async () => {
    const link = await createLink({ room: room(), carNo: 'AMB-7' }, agent, '/link/cartracking')
    expect(link).toMatchObject({ type: 'car', userType: 'car', userName: 'AMB-7' })
    expect(link.url).toBe(`http://localhost:8787/car/${link.linkID}`)
  })

  it('should answer 400 naming carNo when it is missing', async () => {
    const res = await call('/link/cartracking', { method: 'POST', token: agent, json: { room: room() } })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('carNo')
  })
})

describe('GET /link/getdetail', () => {
  it('should open an expiring link repeatedly, marking it used and connected', async () => {
    const link = await createLink({ room: room(), userType: 'caller' })
    for (let i = 0; i < 2; i++) {
      const res = await open(link.linkID)
      expect(res.status).toBe(200)
      const data = (await json(res)).data
      expect(data).toMatchObject({ linkID: link.linkID, room: link.room, used: true })
      expect(data.connectedAt).not.toBeNull()
    }
  })

  it('should open a one-time link once, then answer 410', async () => {
    const link = await createLink({ room: room(), userType: 'caller', oneTime: true })
    expect((await open(link.linkID)).status).toBe(200)
    const again = await open(link.linkID)
    expect(again.status).toBe(410)
    expect((await json(again)).message).toBe('Link has already been used')
  })

  it('should let exactly one of several racing opens of a one-time link win', async () => {
    const link = await createLink({ room: room(), userType: 'caller', oneTime: true })
    const results = await Promise.all(Array.from({ length: 5 }, () => open(link.linkID)))
    expect(results.map((r) => r.status).sort()).toEqual([200, 410, 410, 410, 410])
  })

  it('should answer 410 for an expired link and 404 for an unknown one', async () => {
    const link = await createLink({ room: room(), userType: 'caller' })
    await expire(link.linkID)
    const res = await open(link.linkID)
    expect(res.status).toBe(410)
    expect((await json(res)).message).toBe('Link has expired')
    expect((await open('NoSuchLinkX')).status).toBe(404)
  })

  it('should let staff read a one-time link without consuming it', async () => {
    const link = await createLink({ room: room(), userType: 'caller', oneTime: true })
    const peek = await open(link.linkID, agent)
    expect(peek.status).toBe(200)
    expect((await json(peek)).data.used).toBe(false)
    expect((await open(link.linkID)).status).toBe(200)
  })

  it('should answer 400 naming linkID when it is missing', async () => {
    const res = await call('/link/getdetail')
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('linkID')
  })
})

describe('POST /link/update/latlng and /link/multilatlng/send', () => {
  it('should store the position, visible in the link detail', async () => {
    const link = await createLink({ room: room(), userType: 'caller', oneTime: true })
    expect((await open(link.linkID)).status).toBe(200)
    const res = await call('/link/update/latlng', {
      method: 'POST',
      json: { linkID: link.linkID, lat: 13.7563, lng: 100.5018, accuracy: 12 },
    })
    expect(res.status).toBe(200)
    const detail = (await json(await open(link.linkID, agent))).data
    expect(detail).toMatchObject({ lat: 13.7563, lng: 100.5018, accuracy: 12 })
  })

  it('should answer 400 naming lat and lng out of range, and store nothing', async () => {
    const link = await createLink({ room: room(), userType: 'caller' })
    const res = await call('/link/update/latlng', {
      method: 'POST',
      json: { linkID: link.linkID, lat: 91, lng: -181 },
    })
    expect(res.status).toBe(400)
    const paths = (await json(res)).data.details.fields.map((f: { path: string }) => f.path).sort()
    expect(paths).toEqual(['lat', 'lng'])
    const row = await db(env.DB).select().from(links).where(eq(links.id, link.linkID)).get()
    expect(row!.lat).toBeNull()
  })

  it('should refuse positions for unknown (404) and expired (410) links', async () => {
    const link = await createLink({ room: room(), userType: 'caller' })
    await expire(link.linkID)
    const pos = { lat: 1, lng: 2 }
    expect(
      (await call('/link/update/latlng', { method: 'POST', json: { linkID: 'UnknownLnk', ...pos } })).status,
    ).toBe(404)
    expect(
      (await call('/link/update/latlng', { method: 'POST', json: { linkID: link.linkID, ...pos } })).status,
    ).toBe(410)
  })

  it('should apply several positions and report each', async () => {
    const a = await createLink({ room: room(), userType: 'caller' })
    const b = await createLink({ room: room(), userType: 'caller' })
    const res = await call('/link/multilatlng/send', {
      method: 'POST',
      json: {
        positions: [
          { linkID: a.linkID, lat: 10, lng: 20 },
          { linkID: 'UnknownLnk', lat: 1, lng: 1 },
          { linkID: b.linkID, lat: -10, lng: -20, accuracy: 5 },
        ],
      },
    })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data.updated).toBe(2)
    expect(data.results).toEqual([
      { linkID: a.linkID, updated: true },
      { linkID: 'UnknownLnk', updated: false, reason: 'Link not found' },
      { linkID: b.linkID, updated: true },
    ])
    const rowB = await db(env.DB).select().from(links).where(eq(links.id, b.linkID)).get()
    expect(rowB).toMatchObject({ lat: -10, lng: -20, accuracy: 5 })
  })

  it('should answer 400 for an empty batch, naming positions', async () => {
    const res = await call('/link/multilatlng/send', { method: 'POST', json: { positions: [] } })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('positions')
  })
})

describe('GET /link/list, /link/history, /link/share, /link/get/domain', () => {
  it('should list a room’s links newest first (staff only)', async () => {
    const r = room()
    const first = await createLink({ room: r, userType: 'caller' })
    const second = await createLink({ room: r, userType: 'agent' })
    const res = await call(`/link/list?room=${r}`, { token: agent })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data.total).toBe(2)
    expect(data.items.map((l: { linkID: string }) => l.linkID)).toEqual([second.linkID, first.linkID])
    expect((await call(`/link/list?room=${r}`, { token: member })).status).toBe(403)
    expect((await call(`/link/list?room=${r}`)).status).toBe(401)
  })

  it('should show the SMS history of a link', async () => {
    const link = await createLink({ room: room(), userType: 'caller', phone: '0812345678' })
    const res = await call(`/link/history?linkID=${link.linkID}`, { token: agent })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data.total).toBe(1)
    expect(data.items[0]).toMatchObject({ linkID: link.linkID, phone: '0812345678', status: 'logged' })
    expect(data.items[0].message).toContain(link.url)
    expect((await call('/link/history', { token: member })).status).toBe(403)
  })

  it('should share the newest usable link of a room, skipping consumed one-time links', async () => {
    const r = room()
    const multi = await createLink({ room: r, userType: 'caller' })
    const once = await createLink({ room: r, userType: 'caller', oneTime: true })
    const share = async () => call(`/link/share?room=${r}&userType=caller`, { token: agent })
    expect((await json(await share())).data.linkID).toBe(once.linkID)
    await open(once.linkID)
    const data = (await json(await share())).data
    expect(data.linkID).toBe(multi.linkID)
    expect(data.url).toBe(multi.url)
    expect((await call(`/link/share?room=${room()}`, { token: agent })).status).toBe(404)
  })

  it('should give the service’s domain, else API_URL', async () => {
    await db(env.DB)
      .insert(serviceSettings)
      .values({ service: 43, name: 'South', domain: 'https://south.sos.test' })
      .onConflictDoNothing()
    const configured = (await json(await call('/link/get/domain?service=43'))).data
    expect(configured).toEqual({ service: 43, domain: 'https://south.sos.test', source: 'service' })
    const fallback = (await json(await call('/link/get/domain?service=999'))).data
    expect(fallback).toEqual({ service: 999, domain: 'http://localhost:8787', source: 'default' })
    const link = await createLink({ room: room(), userType: 'caller', service: 43 })
    const byLink = (await json(await call(`/link/get/domain?linkID=${link.linkID}`))).data
    expect(byLink.domain).toBe('https://south.sos.test')
  })
})
