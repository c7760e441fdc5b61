import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, liveKitNodes } from '../../src/worker/db/schema'
import { pickNode } from '../../src/worker/lib/livekit'
import { generateParticipant, runCron, serviceToken } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

const lk = installLiveKitDouble()
let token: string
beforeEach(async () => {
  lk.reset()
  await db(env.DB).delete(conferenceRooms)
  await db(env.DB).delete(liveKitNodes)
  token ??= await serviceToken()
})

const generate = (room: string) => generateParticipant(token, room)

const runHealthCron = () => runCron('*/10 * * * *')

const health = async () =>
  Object.fromEntries((await db(env.DB).select().from(liveKitNodes)).map((n) => [n.name, n.healthy]))

describe('pickNode', () => {
  it('should pick the healthy node with the fewest rooms, ties to configuration order', () => {
    expect(
      pickNode([
        { name: 'a', healthy: true, rooms: 2 },
        { name: 'b', healthy: true, rooms: 1 },
      ])?.name,
    ).toBe('b')
    expect(
      pickNode([
        { name: 'a', healthy: true, rooms: 1 },
        { name: 'b', healthy: true, rooms: 1 },
      ])?.name,
    ).toBe('a')
    expect(
      pickNode([
        { name: 'a', healthy: false, rooms: 0 },
        { name: 'b', healthy: true, rooms: 9 },
      ])?.name,
    ).toBe('b')
    expect(pickNode([{ name: 'a', healthy: false, rooms: 0 }])).toBeUndefined()
  })
})

describe('room placement across LiveKit nodes', () => {
  it('should spread new rooms over healthy nodes by load', async () => {
    const a = await generate('place-a')
    const b = await generate('place-b')
    expect(lk.whereIs('place-a')?.name).toBe('default')
    expect(lk.whereIs('place-b')?.name).toBe('edge')
    expect(a.url).toBe('ws://livekit.test')
    expect(b.url).toBe('ws://livekit-edge.test')
  })

  it('should fail over to another node when the chosen one does not answer, and mark it down', async () => {
    lk.setDown('default')
    await generate('failover-1')
    expect(lk.whereIs('failover-1')?.name).toBe('edge')
    const row = await db(env.DB)
      .select()
      .from(conferenceRooms)
      .where(eq(conferenceRooms.name, 'failover-1'))
      .get()
    expect(row?.node).toBe('edge')
    expect((await health()).default).toBe(false)
  })
})

describe('LiveKit health cron (*/10)', () => {
  it('should mark a node that stops answering down and skip it for new rooms', async () => {
    await runHealthCron()
    expect(await health()).toEqual({ default: true, edge: true })
    lk.setDown('edge')
    await runHealthCron()
    expect(await health()).toEqual({ default: true, edge: false })
    const row = await db(env.DB).select().from(liveKitNodes).where(eq(liveKitNodes.name, 'edge')).get()
    expect(row?.lastError).toContain('unreachable')
    for (const name of ['skip-1', 'skip-2', 'skip-3']) await generate(name)
    expect(['skip-1', 'skip-2', 'skip-3'].map((r) => lk.whereIs(r)?.name)).toEqual([
      'default',
      'default',
      'default',
    ])
    expect(lk.callsOf('RoomService/CreateRoom').every((c) => c.node === 'default')).toBe(true)
  })

  it('should mark a node up again once it answers, with its room count', async () => {
    lk.setDown('edge')
    await runHealthCron()
    lk.setDown('edge', false)
    lk.join('someone-elses-room', 'x', { node: 'edge' })
    await runHealthCron()
    const row = await db(env.DB).select().from(liveKitNodes).where(eq(liveKitNodes.name, 'edge')).get()
    expect(row).toMatchObject({ healthy: true, roomCount: 1, lastError: null })
  })

  it('should be safe to run twice at once', async () => {
    lk.setDown('default')
    await Promise.all([runHealthCron(), runHealthCron()])
    expect(await health()).toEqual({ default: false, edge: true })
    expect(lk.callsOf('RoomService/ListRooms').every((c) => c.grant.roomList === true)).toBe(true)
  })
})
