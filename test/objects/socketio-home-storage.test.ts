import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { refFromSid } from '../../src/objects/socketio/refs'
import { call, liveKitToken } from '../helpers'
import { InProcessTransport, sioClient, sioConnected } from '../sio-client'
import { RawClient } from '../sio-raw'
import { InProcessPolling } from './contract-drivers'

// A session without a routing hint opens in one of a few home objects of its location
// (`~<colo>-<n>`, `local` here), shared by the sessions that land there. A home erases everything
// once it holds no session and owes no ack, and stores what it needs again when the next arrives.

let n = 0
const uniqueRoom = () => `home-store-${Date.now().toString(36)}-${++n}`

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  let v = await read()
  for (let i = 0; i < 150 && !ok(v); i++) {
    await sleep(20)
    v = await read()
  }
  if (!ok(v)) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`)
  return v
}

interface Stored {
  tables: string[]
  entries: string[]
  alarm: number | null
}

/** What the object named `name` keeps in storage: its tables, key-value entries and alarm. */
const storedBy = (name: string): Promise<Stored> =>
  runInDurableObject(env.CONFERENCE_ROOM.getByName(name), async (_o, state) => ({
    tables: state.storage.sql
      .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'`)
      .toArray()
      .map((r) => r.name),
    entries: [...state.storage.kv.list()].map(([k]) => k),
    alarm: await state.storage.getAlarm(),
  }))

const nothing = (s: Stored) => !s.tables.length && !s.entries.length && s.alarm === null
const homeOf = (sid: string) => refFromSid(sid)!.name

const POLL = '/socket.io/?EIO=4&transport=polling'

/** A location of the test's own: the Worker picks its homes among that location's, which no other test uses. */
const ownColo = () => ({ colo: `T${uniqueRoom()}` })
/** Long-polling from `cf`'s location. */
const pollingFrom = (cf: { colo: string }) =>
  class extends InProcessPolling {
    protected override cf() {
      return cf
    }
  }

describe('a home object keeps nothing once its session is gone', () => {
  it('should erase the home once socket.io-client (default options) has upgraded into the room, and keep the session working', async () => {
    const room = uniqueRoom()
    const cf = ownColo()
    const s = sioClient(`/${room}`, {
      auth: { token: await liveKitToken(room) },
      transports: [pollingFrom(cf) as any, InProcessTransport as any],
    })
    let upgraded = false
    s.io.on('open', () => s.io.engine.once('upgrade', () => (upgraded = true)))
    await sioConnected(s)
    const home = homeOf(s.io.engine.id)
    expect(home.startsWith(`~${cf.colo}-`)).toBe(true)
    // While the session polls there, the home keeps what it needs (its name, for its alarm).
    const polling = await storedBy(home)
    expect(polling.entries).toContain('channel:name')
    expect(polling.alarm).not.toBeNull()

    await until(async () => upgraded, Boolean, 'the upgrade')
    expect(await until(() => storedBy(home), nothing, 'the home to erase itself')).toEqual({
      tables: [],
      entries: [],
      alarm: null,
    })
    // The session lives on in the room's object.
    expect((await s.timeout(5000).emitWithAck('chat-message', 'after')).seq).toBe(1)
    s.close()
  })

  it('should erase the home of a WebSocket-only session when it closes, not before', async () => {
    const room = uniqueRoom()
    const ws = await RawClient.open('', ownColo())
    const sid = JSON.parse((ws.frames[0] as string).slice(1)).sid as string
    ws.send(`40/${room},${JSON.stringify({ token: await liveKitToken(room) })}`)
    await ws.next((f) => f.startsWith(`40/${room},`))
    const home = homeOf(sid)
    ws.send(`42/${room},1["chat-message","held"]`)
    expect(await ws.next((f) => f.startsWith(`43/${room},1`))).toContain('"seq":1')
    expect(nothing(await storedBy(home))).toBe(false)

    ws.ws.close(1000)
    await until(() => storedBy(home), nothing, 'the home to erase itself')
  })

  it('should open sessions without a hint in a few home objects of the location, not one each', async () => {
    const sids = await Promise.all(
      Array.from(
        { length: 40 },
        async () => JSON.parse((await (await call(POLL)).text()).slice(1)).sid as string,
      ),
    )
    const homes = new Set(sids.map(homeOf))
    for (const home of homes) expect(home).toMatch(/^~local-([0-9]|1[0-5])$/)
    expect(homes.size).toBeLessThan(sids.length)
    // Another location gets homes of its own.
    const there = JSON.parse((await (await call(POLL, { cf: { colo: 'AMS' } })).text()).slice(1))
      .sid as string
    expect(homeOf(there)).toMatch(/^~AMS-([0-9]|1[0-5])$/)
    await call(`${POLL}&sid=${there}`, { method: 'POST', body: '1' })
    for (const sid of sids) await call(`${POLL}&sid=${sid}`, { method: 'POST', body: '1' })
  })

  it('should store its name and alarm again for the next session after it erased itself', async () => {
    const home = `~reused-${uniqueRoom()}`
    const stub = env.CONFERENCE_ROOM.getByName(home)
    const open = async () =>
      JSON.parse((await (await stub.fetch(`http://sb${POLL}`)).text()).slice(1)).sid as string
    const close = (sid: string) => stub.fetch(`http://sb${POLL}&sid=${sid}`, { method: 'POST', body: '1' })
    const first = await open()
    expect(homeOf(first)).toBe(home)
    await close(first)
    await until(() => storedBy(home), nothing, 'the home to erase itself')
    // Used again: what a later wake needs (its name, for its alarm) is there again.
    const second = await open()
    const stored = await storedBy(home)
    expect(stored.entries).toContain('channel:name')
    expect(stored.alarm).not.toBeNull()
    await close(second)
    await until(() => storedBy(home), nothing, 'the home to erase itself again')
  })

  it('should erase the home of a long-polling session the client closes', async () => {
    // Straight to a home of its own: one the Worker picks may hold other tests' sessions.
    const home = `~closing-${uniqueRoom()}`
    const sid = JSON.parse(
      (await (await env.CONFERENCE_ROOM.getByName(home).fetch(`http://sb${POLL}`)).text()).slice(1),
    ).sid as string
    expect(homeOf(sid)).toBe(home)
    expect((await storedBy(home)).entries).toContain('channel:name')
    await call(`${POLL}&sid=${sid}`, { method: 'POST', body: '1' })
    await until(() => storedBy(home), nothing, 'the home to erase itself')
    // A late request for the session is refused as unknown and leaves nothing behind either.
    expect((await call(`${POLL}&sid=${sid}`)).status).toBe(400)
    expect(await storedBy(home)).toEqual({ tables: [], entries: [], alarm: null })
  })
})
