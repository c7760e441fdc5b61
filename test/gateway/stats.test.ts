import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import { cases, conferenceRooms, dailyStats, roomUsers, smsLogs } from '../../src/worker/db/schema'
import { newId } from '../../src/worker/lib/ids'
import { call, json, registerUser, type TestUser } from '../helpers'

// A day no other test writes to, so the figures are exact.
const DAY = '2020-01-15'
const at = Date.parse(`${DAY}T10:00:00Z`)
let agent: TestUser

beforeAll(async () => {
  agent = await registerUser({ role: 'agent' })
  const d = db(env.DB)
  const room = `stats-${newId()}`
  await d.insert(conferenceRooms).values({
    name: room,
    node: 'default',
    type: 'conference',
    status: 'closed',
    expiresAt: at,
    createdAt: at,
  })
  await d.insert(cases).values([
    { id: newId(), title: 'a', type: 'stroke', status: 'new', createdAt: at },
    { id: newId(), title: 'b', type: 'stroke', status: 'closed', createdAt: at },
    { id: newId(), title: 'c', type: 'fall', status: 'closed', createdAt: at + 1000 },
  ])
  await d.insert(roomUsers).values([
    { room, identity: 'u1', name: 'U1', userType: 'agent', device: 'web', createdAt: at },
    { room, identity: 'u2', name: 'U2', userType: 'caller', device: 'ios', createdAt: at },
  ])
  await d
    .insert(smsLogs)
    .values({ id: newId(), phone: '+6600', message: 'm', status: 'logged', createdAt: at })
})

const get = async (path: string, token = agent.access_token) => call(path, { token })

describe('seed 000 /stats', () => {
  it('should summarise one day exactly', async () => {
    const body = await json(await get(`/stats/summary?from=${DAY}&to=${DAY}`))
    expect(body.data).toEqual({
      from: DAY,
      to: DAY,
      rooms: { total: 1, closed: 1 },
      cases: { total: 3, new: 1, closed: 2 },
      participants: 2,
      recordings: 0,
      links: 0,
      sms: { logged: 1 },
    })
  })

  it('should break down by type, device, user type and case day', async () => {
    expect((await json(await get(`/stats/type?from=${DAY}&to=${DAY}`))).data).toMatchObject({
      rooms: { conference: 1 },
      cases: { stroke: 2, fall: 1 },
    })
    expect((await json(await get(`/stats/device?from=${DAY}&to=${DAY}`))).data.participants).toEqual({
      web: 1,
      ios: 1,
    })
    expect((await json(await get(`/stats/user?from=${DAY}&to=${DAY}`))).data.participants).toEqual({
      agent: 1,
      caller: 1,
    })
    expect((await json(await get(`/stats/case?from=${DAY}&to=${DAY}`))).data.by_day).toEqual({ [DAY]: 3 })
  })

  it('should generate a day into daily_stats idempotently', async () => {
    const first = (await json(await get(`/stats/gen?day=${DAY}`))).data
    expect(first).toEqual(
      expect.arrayContaining([
        { day: DAY, metric: 'cases_created', dimension: 'stroke', value: 2 },
        { day: DAY, metric: 'participants', dimension: 'caller', value: 1 },
      ]),
    )
    await Promise.all([get(`/stats/gen?day=${DAY}`), get(`/stats/generate?from=${DAY}&to=${DAY}`)])
    const stored = await db(env.DB).select().from(dailyStats).where(eq(dailyStats.day, DAY)).all()
    expect(stored).toHaveLength(first.length)
  })

  it('should answer 400 naming the field for bad dates and ranges', async () => {
    const bad = await get('/stats/summary?from=15-01-2020')
    expect(bad.status).toBe(400)
    expect((await json(bad)).data.details.fields[0].path).toBe('from')
    expect((await get('/stats/summary?from=2020-02-01&to=2020-01-01')).status).toBe(400)
    expect((await get('/stats/generate?from=2020-01-01&to=2020-03-01')).status).toBe(400)
  })

  it('should refuse members', async () => {
    const member = await registerUser()
    expect((await get('/stats/summary', member.access_token)).status).toBe(403)
  })
})
