import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import { conferenceRooms } from '../../src/worker/db/schema'
import { call, json, runCron, serviceToken, generateParticipant } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

const lk = installLiveKitDouble()
let staff: string
beforeEach(async () => {
  lk.reset()
  staff ??= await serviceToken()
})

const generate = (room: string) => generateParticipant(staff, room)
const expire = (room: string) =>
  db(env.DB)
    .update(conferenceRooms)
    .set({ expiresAt: Date.now() - 1000 })
    .where(eq(conferenceRooms.name, room))

describe('room-expiry cron (*/30)', () => {
  it('should close expired rooms and delete them from LiveKit, leaving others open', async () => {
    await generate('rx-1')
    await generate('rx-2')
    await expire('rx-1')
    await runCron('*/30 * * * *')
    const detail = async (r: string) =>
      (await json(await call(`/room/detail?room=${r}`, { token: staff }))).data
    expect(await detail('rx-1')).toMatchObject({ status: 'closed', expired: true })
    expect((await detail('rx-2')).status).toBe('open')
    expect(lk.whereIs('rx-1')).toBeUndefined()
    expect(lk.whereIs('rx-2')).toBeDefined()
  })

  it('should be safe to run twice at once: each room closed and deleted once', async () => {
    await generate('rx-3')
    await expire('rx-3')
    await Promise.all([runCron('*/30 * * * *'), runCron('*/30 * * * *')])
    const row = await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, 'rx-3')).get()
    expect(row?.status).toBe('closed')
    expect(
      lk.callsOf('RoomService/DeleteRoom').filter((c) => c.body.room === 'rx-3').length,
    ).toBeGreaterThanOrEqual(1)
    expect(
      lk.callsOf('RoomService/DeleteRoom').filter((c) => c.status === 200 && c.body.room === 'rx-3'),
    ).toHaveLength(1)
  })

  it('should still close the room in D1 when its LiveKit node is down', async () => {
    await generate('rx-4')
    await expire('rx-4')
    lk.setDown(lk.whereIs('rx-4')!.name)
    await runCron('*/30 * * * *')
    expect(
      (await db(env.DB).select().from(conferenceRooms).where(eq(conferenceRooms.name, 'rx-4')).get())?.status,
    ).toBe('closed')
  })
})
