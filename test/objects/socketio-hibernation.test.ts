import { env } from 'cloudflare:workers'
import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import type { Socket } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { refFromSid } from '../../src/objects/socketio/refs'
import { liveKitToken } from '../helpers'
import { sioClient, sioConnected } from '../sio-client'

// Runs in the `workers-timers` project: SOCKETIO_PING_INTERVAL 250 ms, SOCKETIO_PING_TIMEOUT 1000 ms.
const INTERVAL = 250

const open: Socket[] = []
afterEach(async () => {
  for (const s of open.splice(0)) s.disconnect()
  await new Promise((r) => setTimeout(r, 100)) // let the objects run their disconnect handlers
})

async function member(room: string, identity: string, hint: boolean): Promise<Socket> {
  const s = sioClient(`/${room}`, {
    auth: { token: await liveKitToken(room, identity) },
    ...(hint ? { query: { room } } : {}),
  })
  open.push(s)
  return sioConnected(s)
}

/** Counts the Engine.IO pings a client's manager receives. */
function pings(s: Socket): { n: number } {
  const count = { n: 0 }
  s.io.on('ping', () => count.n++)
  return count
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const TAG = Symbol.for('test-instance')
type Tagged = { [TAG]?: number }

/** Marks the object's current instance (a fresh instance after an eviction has no mark). */
const tag = (stub: DurableObjectStub, n: number) =>
  runInDurableObject(stub, (instance) => {
    ;(instance as Tagged)[TAG] = n
  })
const tagOf = (stub: DurableObjectStub) =>
  runInDurableObject(stub, (instance) => (instance as Tagged)[TAG] ?? null)

describe('Socket.IO clients across hibernation (real socket.io-client inside workerd)', () => {
  it('should keep clients connected while their objects are evicted across several ping intervals, and chat continues in order', async () => {
    const room = `hib-${Date.now().toString(36)}`
    // a lives in the room's object (room hint); b, with default options, in a home object that follows the room.
    const a = await member(room, 'alice', true)
    const b = await member(room, 'bob', false)
    const roomStub = env.CONFERENCE_ROOM.getByName(room)
    const home = refFromSid(b.io.engine.id)!
    expect(home.name.startsWith('~')).toBe(true)
    const homeStub = env.CONFERENCE_ROOM.getByName(home.name)
    const ids = { a: [a.id, a.io.engine.id], b: [b.id, b.io.engine.id] }
    const dropped: string[] = []
    a.on('disconnect', (r) => dropped.push(`a:${r}`))
    b.on('disconnect', (r) => dropped.push(`b:${r}`))
    const seen: number[] = []
    b.on('chat-message', (m: { seq: number }) => seen.push(m.seq))
    const pa = pings(a)
    const pb = pings(b)

    expect(await a.emitWithAck('chat-message', 'before')).toMatchObject({ seq: 1 })
    await until(() => seen.length === 1, 'b sees seq 1')

    const started = Date.now()
    for (let round = 1; round <= 4; round++) {
      await tag(roomStub, round)
      await tag(homeStub, round)
      await evictDurableObject(roomStub)
      await evictDurableObject(homeStub)
      // The next pings come from alarms that wake fresh instances; the pongs are answered by
      // the runtime's auto-response, which wakes nothing.
      const [na, nb] = [pa.n, pb.n]
      await until(() => pa.n > na && pb.n > nb, `pings after eviction ${round}`)
      expect(await tagOf(roomStub)).toBeNull()
      expect(await tagOf(homeStub)).toBeNull()
      // The room's hibernated WebSocket is still the one it accepted before the eviction.
      expect(await runInDurableObject(roomStub, (_i, state) => state.getWebSockets().length)).toBe(1)
    }
    // Longer than several intervals and than interval + timeout, after which a client that got
    // no ping would have given up.
    await new Promise((r) => setTimeout(r, 1500))
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * INTERVAL)
    expect(pa.n).toBeGreaterThanOrEqual(6)
    expect(pb.n).toBeGreaterThanOrEqual(6)

    expect(dropped).toEqual([])
    expect([a.connected, b.connected]).toEqual([true, true])
    expect([a.id, a.io.engine.id]).toEqual(ids.a)
    expect([b.id, b.io.engine.id]).toEqual(ids.b)

    // Chat after the evictions: the same log, the next seqs, one order for both members.
    const seenByA: number[] = []
    a.on('chat-message', (m: { seq: number }) => seenByA.push(m.seq))
    expect(await b.emitWithAck('chat-message', 'after 1')).toMatchObject({ seq: 2 })
    expect(await a.emitWithAck('chat-message', 'after 2')).toMatchObject({ seq: 3 })
    await until(() => seen.length === 3 && seenByA.length === 2, 'chat after eviction')
    expect(seen).toEqual([1, 2, 3])
    expect(seenByA).toEqual([2, 3])
  })
})
