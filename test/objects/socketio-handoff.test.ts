import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import type { Socket } from 'socket.io-client'
import { describe, expect, it } from 'vitest'
import { refFromSid } from '../../src/objects/socketio/refs'
import { call, liveKitToken } from '../helpers'
import { InProcessTransport, sioClient, sioConnected } from '../sio-client'
import { RawClient } from '../sio-raw'
import { InProcessPolling } from './contract-drivers'

// socket.io-client's default path — long-polling first, then the upgrade to a WebSocket, the token
// in `auth` and no routing hint in the URL — with the real client inside workerd.

let n = 0
const uniqueRoom = () => `handoff-${Date.now().toString(36)}-${++n}`

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until(ok: () => boolean | Promise<boolean>, what: string) {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return
    await sleep(20)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** WebSockets the room's own object holds. */
const heldByRoom = (room: string) =>
  runInDurableObject(env.CONFERENCE_ROOM.getByName(room), (_o, state) => state.getWebSockets().length)

describe('a session without a hint moves into its room object at the upgrade', () => {
  it('should hold the socket in the room object afterwards, announce it once, and keep every message in order', async () => {
    const room = uniqueRoom()
    const watcher = sioClient(`/${room}`, { auth: { token: await liveKitToken(room) }, query: { room } })
    const events: string[] = []
    const watcherSeqs: number[] = []
    watcher.on('user-connection', () => events.push('join'))
    watcher.on('user-disconnect', () => events.push('leave'))
    watcher.on('chat-message', (m: { seq: number }) => watcherSeqs.push(m.seq))
    await sioConnected(watcher)
    expect(await heldByRoom(room)).toBe(1)

    const moverSeqs: number[] = []
    const s = sioClient(`/${room}`, {
      auth: { token: await liveKitToken(room) },
      transports: [InProcessPolling as any, InProcessTransport as any],
    })
    s.on('chat-message', (m: { seq: number }) => moverSeqs.push(m.seq))
    let upgraded = false
    s.io.on('open', () => s.io.engine.once('upgrade', () => (upgraded = true)))
    await sioConnected(s)
    expect(s.io.engine.transport.name).toBe('polling')
    // Both sides keep talking while the upgrade runs: nothing may be lost, doubled or reordered.
    const acks: number[] = []
    let k = 0
    while (!upgraded && k < 200) {
      const [a] = await Promise.all([
        s.timeout(8000).emitWithAck('chat-message', `mover ${k}`),
        watcher.timeout(8000).emitWithAck('chat-message', `watcher ${k}`),
      ])
      acks.push(a.seq)
      k++
    }
    expect(upgraded).toBe(true)
    for (let i = 0; i < 5; i++)
      acks.push((await s.timeout(8000).emitWithAck('chat-message', `after ${i}`)).seq)
    expect(s.io.engine.transport.name).toBe('websocket')
    const total = 2 * k + 5
    await until(() => moverSeqs.length >= total && watcherSeqs.length >= total, 'every message')
    const all = Array.from({ length: total }, (_, i) => i + 1)
    expect(moverSeqs).toEqual(all)
    expect(watcherSeqs).toEqual(all)
    expect(acks).toEqual([...acks].sort((a, b) => a - b))
    // The room's object now holds both sockets; its joins were announced once and nobody left.
    expect(await heldByRoom(room)).toBe(2)
    expect(events).toEqual(['join'])
    s.close()
    await until(() => events.length === 2, 'the leave')
    expect(events).toEqual(['join', 'leave'])
    watcher.close()
  })

  it('should leave a session in its home when it joined rooms of two objects before the upgrade', async () => {
    const [a, b] = [uniqueRoom(), uniqueRoom()]
    const sid = await openPoll()
    await post(
      sid,
      `40/${a},${JSON.stringify({ token: await liveKitToken(a) })}\x1e40/${b},${JSON.stringify({ token: await liveKitToken(b) })}`,
    )
    await pollFor(sid, [`40/${a},`, `40/${b},`])
    const ws = await RawClient.connect(`&sid=${sid}`)
    ws.send('2probe')
    await ws.next((f) => f === '3probe')
    ws.send('5')
    ws.send(`42/${b},1["chat-message","to b"]`)
    expect(await ws.next((f) => f.startsWith(`43/${b},1`))).toContain('"seq":1')
    expect(await heldByRoom(a)).toBe(0)
    expect(await heldByRoom(b)).toBe(0)
    ws.ws.close()
  })

  it('should keep a session polling in its home when the probe at the room object fails, and move it with the next probe', async () => {
    const room = uniqueRoom()
    const sid = await openPoll()
    await post(sid, `40/${room},${JSON.stringify({ token: await liveKitToken(room) })}`)
    await pollFor(sid, [`40/${room},`])
    const home = env.CONFERENCE_ROOM.getByName(refFromSid(sid)!.name)
    expect(await home.sioUpgradeTarget(sid)).toEqual({ kind: 'room', name: room })
    const probe = await RawClient.connect(`&sid=${sid}`)
    probe.send('2probe')
    await probe.next((f) => f === '3probe')
    expect(await heldByRoom(room)).toBe(1)
    probe.ws.close()
    // Back to polling in the home object: a message still goes through, acked on the next GET.
    await until(async () => (await home.sioUpgradeTarget(sid)) !== null, 'the home to poll again')
    await post(sid, `42/${room},1["chat-message","still polling"]`)
    expect((await pollFor(sid, [`43/${room},1`])).join()).toContain('"seq":1')
    expect(await heldByRoom(room)).toBe(0)
    const ws = await RawClient.connect(`&sid=${sid}`)
    ws.send('2probe')
    await ws.next((f) => f === '3probe')
    ws.send('5')
    ws.send(`42/${room},2["chat-message","moved"]`)
    expect(await ws.next((f) => f.startsWith(`43/${room},2`))).toContain('"seq":2')
    expect(await heldByRoom(room)).toBe(1)
    expect(await home.sioUpgradeTarget(sid)).toBeNull()
    ws.ws.close()
  })
})

const POLL = '/socket.io/?EIO=4&transport=polling'

/** Opens a long-polling session without a hint (it starts in a home object); answers its id. */
async function openPoll(): Promise<string> {
  const text = await (await call(POLL)).text()
  return JSON.parse(text.slice(1)).sid
}

const post = (sid: string, body: string) => call(`${POLL}&sid=${sid}`, { method: 'POST', body })

/** GETs until packets starting with each of `prefixes` arrived; answers every packet seen. */
async function pollFor(sid: string, prefixes: string[]): Promise<string[]> {
  const seen: string[] = []
  for (let i = 0; i < 20 && !prefixes.every((p) => seen.some((f) => f.startsWith(p))); i++)
    seen.push(...(await (await call(`${POLL}&sid=${sid}`)).text()).split('\x1e'))
  expect(prefixes.filter((p) => !seen.some((f) => f.startsWith(p)))).toEqual([])
  return seen
}
