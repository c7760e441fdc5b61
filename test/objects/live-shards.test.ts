import { runInDurableObject } from 'cloudflare:test'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChatClient } from '../chat-client'
import { registerUser, type TestUser } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'
import { closedWith, connectLive, createSession, liveApi, openLiveSocket, viewer } from '../live-socket'
import { liveSessionStub, type LiveSessionRoom } from './test-classes'

// A live session spread over shard objects (src/objects/shards.ts) with a per-object limit of 3:
// sockets past the room's own object open in `<id>#1`, `<id>#2`, …, fed by the room in its order.

const lk = installLiveKitDouble()
beforeEach(() => lk.reset())

let mentor: TestUser
beforeAll(async () => {
  mentor = await registerUser({ role: 'mentor' })
})

const LIMIT = 3
const shard = (id: string, k: number) => `${id}#${k}`

/** A session whose own object and shards #1–#3 hold LIMIT sockets each. */
async function shardedSession() {
  const { id } = await createSession(mentor.access_token)
  for (const name of [id, shard(id, 1), shard(id, 2), shard(id, 3)])
    await runInDurableObject(liveSessionStub(name), (o: LiveSessionRoom) => {
      o.limitOverrides = { maxConnections: LIMIT }
    })
  return id
}

/** Sockets object `name` holds. */
const held = (name: string) =>
  runInDurableObject(liveSessionStub(name), (_o, state) => state.getWebSockets().length)

/** The shards the room delivers to (its fan-out followers on topic `shard`). */
const followedShards = (id: string) =>
  runInDurableObject(liveSessionStub(id), (_o, state) =>
    state.storage.sql
      .exec<{ home: string }>(`SELECT home FROM fanout_followers WHERE topic = 'shard' ORDER BY home`)
      .toArray()
      .map((r) => r.home),
  )

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await read()
  for (let i = 0; i < 100 && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 20))
    v = await read()
  }
  return v
}

/** Connects the owner, then `n` viewers one after another, each once welcomed. */
async function fill(id: string, n: number) {
  const host = await connectLive(id, mentor.access_token)
  await host.next((f) => f.type === 'welcome')
  const viewers: { user: { id: string; token: string }; client: ChatClient; welcome: any }[] = []
  for (let i = 0; i < n; i++) {
    const user = await viewer(id, `v${i}`)
    const client = await connectLive(id, user.token)
    viewers.push({ user, client, welcome: await client.next((f) => f.type === 'welcome') })
  }
  return { host, viewers }
}

/** Closes the clients, then waits until the room counts nobody (every shard reported its leaves). */
async function closeAll(id: string, clients: ChatClient[]) {
  for (const c of clients) c.close()
  await until(
    () => liveSessionStub(id).presence(),
    (p) => p.length === 0,
  )
}

describe('live session shards', () => {
  it('should open sockets past the limit in shards #1, #2, …, each welcomed with everyone present', async () => {
    const id = await shardedSession()
    const { host, viewers } = await fill(id, 7)
    expect([await held(id), await held(shard(id, 1)), await held(shard(id, 2))]).toEqual([3, 3, 2])
    viewers.forEach((v, i) => {
      expect(v.welcome.data).toMatchObject({ role: 'viewer', viewers: i + 2 })
      expect(v.welcome.data.users.map((u: { user_id: string }) => u.user_id).sort()).toEqual(
        [mentor.id, ...viewers.slice(0, i + 1).map((w) => w.user.id)].sort(),
      )
    })
    // The host (in the room's object) hears every arrival, in order, with the count.
    const arrivals = await host.take(7, (f) => f.type === 'presence')
    expect(arrivals.map((f) => [f.data.user_id, f.data.viewers])).toEqual(
      viewers.map((v, i) => [v.user.id, i + 2]),
    )
    // The first socket of shard #1 hears those after it, in shards #1 and #2 alike.
    const later = await viewers[2].client.take(4, (f) => f.type === 'presence')
    expect(later.map((f) => f.data.user_id)).toEqual(viewers.slice(3).map((v) => v.user.id))
    await closeAll(id, [host, ...viewers.map((v) => v.client)])
  })

  it('should give every socket every event in one order under concurrent publishes', async () => {
    const id = await shardedSession()
    const { host, viewers } = await fill(id, 8)
    expect(await held(shard(id, 2))).toBe(3)
    const room = liveSessionStub(id)
    await Promise.all(Array.from({ length: 30 }, (_, n) => room.publish('session', { n })))
    const clients = [host, ...viewers.map((v) => v.client)]
    const seen = await Promise.all(
      clients.map(async (c) => (await c.take(30, (f) => f.type === 'session')).map((f) => f.data.n)),
    )
    expect([...seen[0]].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n))
    for (const s of seen) expect(s).toEqual(seen[0])
    await closeAll(id, clients)
  })

  it('should keep presence and the viewer count right across shards', async () => {
    const id = await shardedSession()
    const { host, viewers } = await fill(id, 3) // host, a, b in the room's object; c in #1
    const [a, , c] = viewers
    const a2 = await connectLive(id, a.user.token) // a's second socket, in #1
    expect(await a2.next((f) => f.type === 'welcome')).toMatchObject({ data: { viewers: 4 } })
    expect(await held(shard(id, 1))).toBe(2)
    c.client.send({ type: 'ping' })
    expect(await c.client.next((f) => f.type === 'pong')).toMatchObject({ data: { viewers: 4 } })
    // a is still there through the shard: closing the first socket announces nothing.
    a.client.close()
    host.send({ type: 'ping' })
    expect(await host.next((f) => f.type === 'pong')).toMatchObject({ data: { viewers: 4 } })
    // Closing the last one announces the departure everywhere.
    a2.close()
    for (const who of [host, c.client])
      expect(
        await who.next((f) => f.type === 'presence' && f.data.user_id === a.user.id && !f.data.joined),
      ).toMatchObject({ data: { viewers: 3 } })
    const arrivals = host.frames.filter(
      (f) => f.type === 'presence' && f.data.user_id === a.user.id && f.data.joined,
    )
    expect(arrivals).toHaveLength(1)
    c.client.close()
    expect(
      await host.next((f) => f.type === 'presence' && f.data.user_id === c.user.id && !f.data.joined),
    ).toMatchObject({
      data: { joined: false, viewers: 2 },
    })
    expect((await liveSessionStub(id).presence()).map((p) => p.user_id).sort()).toEqual(
      [mentor.id, viewers[1].user.id].sort(),
    )
    await closeAll(id, [host, viewers[1].client])
  })

  it('should carry role changes and kicks to sockets in shards', async () => {
    const id = await shardedSession()
    const { host, viewers } = await fill(id, 4) // v2 and v3 in #1
    const [promoted, kicked] = [viewers[2], viewers[3]]
    const patch = await liveApi(`/sessions/${id}/participants/${promoted.user.id}`, {
      method: 'PATCH',
      token: mentor.access_token,
      json: { role: 'speaker' },
    })
    expect(patch.status).toBe(200)
    for (const c of [host, promoted.client, kicked.client])
      expect(await c.next((f) => f.type === 'role_changed')).toMatchObject({
        data: { user_id: promoted.user.id, role: 'speaker' },
      })
    const roles = await runInDurableObject(liveSessionStub(shard(id, 1)), (_o, state) =>
      state.getWebSockets().map((ws) => ws.deserializeAttachment() as { userId: string; role: string }),
    )
    expect(roles.find((r) => r.userId === promoted.user.id)?.role).toBe('speaker')
    expect((await liveSessionStub(id).presence()).find((p) => p.user_id === promoted.user.id)?.role).toBe(
      'speaker',
    )

    const kick = await liveApi(`/sessions/${id}/participants/${kicked.user.id}/kick`, {
      method: 'POST',
      token: mentor.access_token,
    })
    expect(kick.status).toBe(200)
    expect(await kicked.client.next((f) => f.type === 'kicked')).toMatchObject({
      data: { user_id: kicked.user.id },
    })
    expect(await closedWith(kicked.client)).toMatchObject({ code: 4003, reason: 'kicked' })
    kicked.client.close() // answers the close frame, as browsers do by themselves (workerd's client does not)
    expect(
      await host.next((f) => f.type === 'presence' && f.data.user_id === kicked.user.id && !f.data.joined),
    ).toMatchObject({
      data: { joined: false },
    })
    expect(promoted.client.closed).toBeUndefined()
    await closeAll(id, [host, ...viewers.map((v) => v.client)])
  })

  it('should end the session in every shard: every socket closes, later ones are refused', async () => {
    const id = await shardedSession()
    await liveApi(`/sessions/${id}/start`, { method: 'POST', token: mentor.access_token })
    const { host, viewers } = await fill(id, 5)
    expect(await held(shard(id, 1))).toBe(3)
    const end = await liveApi(`/sessions/${id}/end`, { method: 'POST', token: mentor.access_token })
    expect(end.status).toBe(200)
    for (const c of [host, ...viewers.map((v) => v.client)]) {
      expect(await c.next((f) => f.type === 'session_ended')).toMatchObject({ data: { session_id: id } })
      expect(await closedWith(c)).toMatchObject({ code: 1000, reason: 'session ended' })
    }
    expect((await openLiveSocket(id, mentor.access_token)).res.status).toBe(409)
    // The shard itself refuses too (were the Worker's check passed by a late request).
    expect(
      await runInDurableObject(liveSessionStub(shard(id, 1)), (_o, state) => state.storage.get('ended')),
    ).toBe(true)
  })

  it('should drop a shard with no socket left, and open it again as the room grows', async () => {
    const id = await shardedSession()
    const { host, viewers } = await fill(id, 5) // #1 holds v2, v3, v4
    const extra = await viewer(id, 'extra')
    const inTwo = await connectLive(id, extra.token)
    await inTwo.next((f) => f.type === 'welcome')
    expect(await held(shard(id, 2))).toBe(1)
    expect(
      await until(
        () => followedShards(id),
        (s) => s.length === 2,
      ),
    ).toEqual([shard(id, 1), shard(id, 2)])
    inTwo.close()
    expect(
      await until(
        () => followedShards(id),
        (s) => s.length === 1,
      ),
    ).toEqual([shard(id, 1)])
    // A place frees in #1; the next socket goes there, the one after to #2 again.
    viewers[4].client.close()
    await host.next((f) => f.type === 'presence' && f.data.user_id === viewers[4].user.id && !f.data.joined)
    const back = await connectLive(id, viewers[4].user.token)
    await back.next((f) => f.type === 'welcome')
    const again = await connectLive(id, extra.token)
    expect(await again.next((f) => f.type === 'welcome')).toMatchObject({ data: { viewers: 7 } })
    expect([await held(shard(id, 1)), await held(shard(id, 2))]).toEqual([3, 1])
    await liveSessionStub(id).publish('session', { n: 1 })
    for (const c of [host, back, again]) expect(await c.next((f) => f.type === 'session')).toBeTruthy()
    await closeAll(id, [host, back, again, ...viewers.map((v) => v.client)])
  })

  it('should ask the room again when the shard it named turned out full', async () => {
    const id = await shardedSession()
    await runInDurableObject(liveSessionStub(shard(id, 1)), (o: LiveSessionRoom) => {
      o.limitOverrides = { maxConnections: 1 } // the room still counts 3 places in #1
    })
    const { host, viewers } = await fill(id, 4) // v2 in #1 (full at 1); v3 then goes to #2
    expect([await held(id), await held(shard(id, 1)), await held(shard(id, 2))]).toEqual([3, 1, 1])
    expect(viewers[3].welcome.data).toMatchObject({ viewers: 5 })
    await closeAll(id, [host, ...viewers.map((v) => v.client)])
  })
})
