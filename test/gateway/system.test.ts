import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, smsLogs, usageLogs } from '../../src/worker/db/schema'
import { call, json, mintToken } from '../helpers'

let admin: string
let agent: string
let member: string
let service: string

beforeAll(async () => {
  ;[admin, agent, member, service] = await Promise.all(
    (['admin', 'agent', 'member', 'service'] as const).map((r) => mintToken(r)),
  )
})

const addRoom = (name: string, status: 'open' | 'started' | 'closed') =>
  db(env.DB)
    .insert(conferenceRooms)
    .values({ name, node: 'default', status, expiresAt: Date.now() + 3_600_000 })

describe('GET /', () => {
  it('should answer publicly with the service identity in the gateway envelope', async () => {
    const res = await call('/')
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.status).toBe('SUCCESS')
    expect(body.data).toMatchObject({ service: 'switchboard', docs: '/docs', openapi: '/openapi.json' })
  })
})

describe('GET /status', () => {
  it('should count open rooms and active links for staff', async () => {
    const before = (await json(await call('/status', { token: agent }))).data.usage
    const tag = Date.now().toString(36)
    await addRoom(`status-open-${tag}`, 'open')
    await addRoom(`status-started-${tag}`, 'started')
    await addRoom(`status-closed-${tag}`, 'closed')
    await call('/link/create', {
      method: 'POST',
      token: agent,
      json: { room: `status-open-${tag}`, userType: 'caller' },
    })
    const res = await call('/status', { token: agent })
    expect(res.status).toBe(200)
    const usage = (await json(res)).data.usage
    expect(usage.open_rooms - before.open_rooms).toBeGreaterThanOrEqual(2)
    expect(usage.active_links - before.active_links).toBeGreaterThanOrEqual(1)
    for (const key of ['live_sessions', 'active_recordings', 'queued_recordings', 'online_users'])
      expect(typeof usage[key]).toBe('number')
  })

  it('should answer 401 without a token and 403 for a member', async () => {
    expect((await call('/status')).status).toBe(401)
    expect((await call('/status', { token: member })).status).toBe(403)
  })
})

describe('GET /namespace', () => {
  it('should list open rooms’ namespaces and the fixed ones, not closed rooms', async () => {
    const tag = Date.now().toString(36)
    await addRoom(`ns-open-${tag}`, 'open')
    await addRoom(`ns-closed-${tag}`, 'closed')
    const res = await call('/namespace', { token: service })
    expect(res.status).toBe(200)
    const list: string[] = (await json(res)).data
    expect(list).toContain(`/ns-open-${tag}`)
    expect(list).not.toContain(`/ns-closed-${tag}`)
    expect(list.slice(-4)).toEqual(['/mobile', '/notification', '/queue', '/newqueue'])
    expect((await call('/namespace', { token: member })).status).toBe(403)
  })
})

describe('GET /service', () => {
  it('should describe services, LiveKit nodes without secrets, SMS and egress settings', async () => {
    const res = await call('/service', { token: agent })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data.livekit.nodes[0]).toMatchObject({ name: 'default', url: 'http://livekit.test' })
    expect(JSON.stringify(data)).not.toContain('devsecret')
    expect(data.livekit.egress_limit).toBe(4)
    expect(data.sms).toEqual({ enabled: false, provider_configured: false })
    expect(Array.isArray(data.services)).toBe(true)
    expect((await call('/service')).status).toBe(401)
  })
})

describe('POST /sms/custom', () => {
  it('should log the SMS (SMS_ENABLE off) and say so', async () => {
    const res = await call('/sms/custom', {
      method: 'POST',
      token: agent,
      json: { phone: '+66800000001', message: 'Ambulance on its way' },
    })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.data).toMatchObject({ phone: '+66800000001', status: 'logged', error: null })
    expect(body.message).toMatch(/SMS_ENABLE/)
    const row = await db(env.DB).select().from(smsLogs).where(eq(smsLogs.id, body.data.id)).get()
    expect(row).toMatchObject({ message: 'Ambulance on its way', status: 'logged' })
  })

  it('should answer 400 naming phone and message, and log nothing', async () => {
    const res = await call('/sms/custom', {
      method: 'POST',
      token: agent,
      json: { phone: 'abc', message: '' },
    })
    expect(res.status).toBe(400)
    const paths = (await json(res)).data.details.fields.map((f: { path: string }) => f.path).sort()
    expect(paths).toEqual(['message', 'phone'])
    expect(await db(env.DB).select().from(smsLogs).where(eq(smsLogs.phone, 'abc')).all()).toEqual([])
  })

  it('should answer 401 without a token and 403 for a member', async () => {
    const body = { phone: '+66800000002', message: 'hi' }
    expect((await call('/sms/custom', { method: 'POST', json: body })).status).toBe(401)
    expect((await call('/sms/custom', { method: 'POST', token: member, json: body })).status).toBe(403)
  })
})

describe('POST /log', () => {
  it('should append a usage log row, publicly', async () => {
    const room = `log-${Date.now().toString(36)}`
    const res = await call('/log', {
      method: 'POST',
      json: { action: 'join', room, identity: 'caller-1', device: 'android', detail: { camera: 'back' } },
    })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data).toMatchObject({ action: 'join', room, identity: 'caller-1', detail: '{"camera":"back"}' })
    const rows = await db(env.DB).select().from(usageLogs).where(eq(usageLogs.room, room)).all()
    expect(rows).toHaveLength(1)
  })

  it('should record the caller’s id when a bearer is given without identity', async () => {
    const token = await mintToken('agent', 'agent-logger')
    const data = (await json(await call('/log', { method: 'POST', token, json: { action: 'login' } }))).data
    expect(data.identity).toBe('agent-logger')
  })

  it('should limit each caller to LOG_LIMIT_PER_MINUTE writes, storing nothing beyond it', async () => {
    const ip = `203.0.113.${Date.now() % 200}`
    const room = `log-limit-${Date.now().toString(36)}`
    const post = (headers: Record<string, string>) =>
      call('/log', { method: 'POST', headers, json: { action: 'ping', room } })
    const answers = []
    for (let i = 0; i < 61; i++) answers.push((await post({ 'cf-connecting-ip': ip })).status)
    expect(answers.filter((s) => s === 200)).toHaveLength(60)
    const refused = await post({ 'cf-connecting-ip': ip })
    expect(refused.status).toBe(429)
    expect((await json(refused)).data.details.retry_after).toBeGreaterThan(0)
    expect(await db(env.DB).select().from(usageLogs).where(eq(usageLogs.room, room)).all()).toHaveLength(60)
    // Another caller is not affected.
    expect((await post({ 'cf-connecting-ip': `${ip}1` })).status).toBe(200)
  })

  it('should answer 400 naming action when it is missing', async () => {
    const res = await call('/log', { method: 'POST', json: { room: 'x' } })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('action')
  })
})

describe('/service/get and /service/update', () => {
  it('should create a service (admin), then read and patch it', async () => {
    const id = 1000 + (Date.now() % 100_000)
    const created = await call('/service/update', {
      method: 'PUT',
      token: admin,
      json: { service: id, name: 'East', domain: 'https://east.sos.test/', smsTemplate: 'Open {url}' },
    })
    expect(created.status).toBe(200)
    expect((await json(created)).data).toMatchObject({
      service: id,
      name: 'East',
      domain: 'https://east.sos.test',
    })
    const patched = await call('/service/update', {
      method: 'PUT',
      token: service,
      json: { service: id, settings: { autoRecord: true } },
    })
    expect((await json(patched)).data).toMatchObject({ name: 'East', settings: { autoRecord: true } })
    const got = (await json(await call(`/service/get?service=${id}`, { token: agent }))).data
    expect(got).toMatchObject({ service: id, smsTemplate: 'Open {url}', settings: { autoRecord: true } })
    const all = (await json(await call('/service/get', { token: agent }))).data
    expect(all.some((s: { service: number }) => s.service === id)).toBe(true)
  })

  it('should answer 400 naming name and domain when creating without them', async () => {
    const res = await call('/service/update', { method: 'PUT', token: admin, json: { service: 987_654 } })
    expect(res.status).toBe(400)
    const paths = (await json(res)).data.details.fields.map((f: { path: string }) => f.path).sort()
    expect(paths).toEqual(['domain', 'name'])
  })

  it('should answer 400 for a domain that is not a URL', async () => {
    const res = await call('/service/update', {
      method: 'PUT',
      token: admin,
      json: { service: 1, name: 'x', domain: 'not a url' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).data.details.fields[0].path).toBe('domain')
  })

  it('should let agents read but not update, and answer 404 for an unknown service', async () => {
    expect(
      (await call('/service/update', { method: 'PUT', token: agent, json: { service: 1, name: 'x' } }))
        .status,
    ).toBe(403)
    expect((await call('/service/get?service=424242', { token: agent })).status).toBe(404)
    expect((await call('/service/get', { token: member })).status).toBe(403)
    expect((await call('/service/get')).status).toBe(401)
  })
})
