import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { app } from '../../src/worker/app'
import { db } from '../../src/worker/db/client'
import { conferenceRooms, roomUsers } from '../../src/worker/db/schema'
import { countingD1 } from '../d1-round-trips'
import { json, registerUser, serviceToken } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

// The D1 round trips of the two REST calls the bench holds against the D1 floor (one round trip):
// token refresh and POST /user/generate. Each test fails if a round trip comes back.

const lk = installLiveKitDouble()
beforeEach(() => lk.reset())

/** Calls the app with a D1 binding that records its round trips; `trips` as the response was ready. */
async function counted(path: string, body: unknown, token?: string) {
  const d1 = countingD1(env.DB)
  const headers = new Headers({ 'content-type': 'application/json' })
  if (token) headers.set('authorization', `Bearer ${token}`)
  const res = await app.fetch(
    new Request(`http://localhost${path}`, { method: 'POST', headers, body: JSON.stringify(body) }),
    { ...env, DB: d1.binding },
    createExecutionContext(),
  )
  return { res, trips: [...d1.trips] }
}

describe('POST /api/v1/auth/refresh round trips', () => {
  it('should rotate in one D1 round trip: the successor and the claim with its read-back in one batch', async () => {
    const u = await registerUser()
    const { res, trips } = await counted('/api/v1/auth/refresh', { refresh_token: u.refresh_token })
    expect(res.status).toBe(200)
    expect(trips).toHaveLength(1)
    expect(trips[0]).toMatch(
      /^batch\[INSERT INTO refresh_tokens .*; UPDATE refresh_tokens .* RETURNING .*\]$/,
    )
    // The batch did the whole rotation: the new token works, the old one is spent.
    const next = (await json(res)).data.refresh_token
    expect((await counted('/api/v1/auth/refresh', { refresh_token: next })).res.status).toBe(200)
    expect((await counted('/api/v1/auth/refresh', { refresh_token: next })).res.status).toBe(401)
  })

  it('should refuse an unknown token in that same one round trip', async () => {
    const { res, trips } = await counted('/api/v1/auth/refresh', { refresh_token: 'y'.repeat(43) })
    expect(res.status).toBe(401)
    expect(trips).toHaveLength(1)
  })

  it('should take a second round trip only to revoke the family of a reused token', async () => {
    const u = await registerUser()
    await counted('/api/v1/auth/refresh', { refresh_token: u.refresh_token })
    const { res, trips } = await counted('/api/v1/auth/refresh', { refresh_token: u.refresh_token })
    expect(res.status).toBe(401)
    expect(trips).toHaveLength(2)
    expect(trips[1]).toMatch(/^update "refresh_tokens" set "revoked_at"/)
  })
})

describe('POST /user/generate round trips', () => {
  const generate = async (token: string, room: string, userName = 'Agent') =>
    counted('/user/generate', { room, userName, userType: 'agent' }, token)

  it('should add a participant to an existing room in one D1 round trip', async () => {
    const token = await serviceToken()
    expect((await generate(token, 'trips-existing')).res.status).toBe(200)
    const { res, trips } = await generate(token, 'trips-existing', 'Second')
    expect(res.status).toBe(200)
    expect(trips).toHaveLength(1)
    expect(trips[0]).toMatch(/^batch\[SELECT .* FROM conference_rooms .*; INSERT INTO room_users .*\]$/)
    const { identity } = (await json(res)).data
    const row = await db(env.DB).select().from(roomUsers).where(eq(roomUsers.identity, identity)).get()
    expect(row).toMatchObject({ room: 'trips-existing', name: 'Second', userType: 'agent' })
  })

  it('should refuse a closed room with 409 in that same one round trip, adding nobody', async () => {
    const token = await serviceToken()
    await generate(token, 'trips-closed')
    await db(env.DB)
      .update(conferenceRooms)
      .set({ status: 'closed' })
      .where(eq(conferenceRooms.name, 'trips-closed'))
    const before = await db(env.DB).select().from(roomUsers).where(eq(roomUsers.room, 'trips-closed'))
    const { res, trips } = await generate(token, 'trips-closed', 'Late')
    expect(res.status).toBe(409)
    expect(trips).toHaveLength(1)
    const after = await db(env.DB).select().from(roomUsers).where(eq(roomUsers.room, 'trips-closed'))
    expect(after).toHaveLength(before.length)
  })

  it('should create a new room in four: lookup, node loads, the room, then its participant', async () => {
    const { res, trips } = await generate(await serviceToken(), 'trips-new')
    expect(res.status).toBe(200)
    expect(lk.callsOf('RoomService/CreateRoom')).toHaveLength(1)
    expect(trips).toHaveLength(4)
    // 1: the existing-room batch finds no room; 2: the LiveKit nodes' health and load in one batch;
    // 3: the room row (before LiveKit, so of two racing creations one wins); 4: the participant.
    expect(trips[0]).toMatch(/^batch\[SELECT .* FROM conference_rooms/)
    expect(trips[1]).toMatch(/^batch\[insert into "livekit_nodes" .*; select .*; select .*\]$/)
    expect(trips[2]).toMatch(/^insert into "conference_rooms" .* returning/)
    expect(trips[3]).toMatch(/^insert into "room_users"/)
  })
})
