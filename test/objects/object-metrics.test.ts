import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ObjectReport } from '../../src/worker/metrics/report'
import { connect, groupWith } from '../chat-client'
import { call, json, liveKitToken, mintToken } from '../helpers'
import { InProcessTransport, sioClient, sioConnected } from '../sio-client'
import { InProcessPolling } from './contract-drivers'
import { refFromSid } from '../../src/objects/socketio/refs'
import { ObjectMetrics } from '../../src/objects/metrics'
import { countWorker } from '../../src/worker/metrics/worker-counts'
import { metricsRegistryStub, type MetricsRegistry } from './test-classes'

// Room objects report what they hold to the metrics registry (README "Operations"), batched: at
// most one report per METRICS_REPORT_INTERVAL_MS (1 s in this project), none while idle.
const INTERVAL = Number(env.METRICS_REPORT_INTERVAL_MS)
let admin: string
beforeAll(async () => {
  admin = await mintToken('admin')
})

const reportsOf = (object: string): Promise<ObjectReport[]> =>
  runInDurableObject(metricsRegistryStub(), (r) =>
    (r as unknown as MetricsRegistry).received.filter((o) => o.object === object),
  )
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls the reports of `object` until `done` holds (or fails showing them). */
async function until(object: string, done: (r: ObjectReport[]) => boolean, what: string) {
  const deadline = Date.now() + 15_000
  for (;;) {
    const reports = await reportsOf(object)
    if (done(reports)) return reports
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(reports)}`)
    await sleep(100)
  }
}
const total = (rs: ObjectReport[], k: 'messages' | 'errors') => rs.reduce((n, r) => n + r[k], 0)

describe('metrics from room objects', () => {
  it('should report a chat’s connections, messages and errors in batches, nothing while idle, and its emptying', async () => {
    const { chatId, users } = await groupWith(2, 'Metrics chat')
    const object = `chat:${chatId}`
    const a = await connect(users[0], chatId)
    const b = await connect(users[1], chatId)
    for (let i = 0; i < 20; i++) a.send({ type: 'send_message', room_id: chatId, content: `m${i}` })
    await a.take(20, (f) => f.type === 'message_ack')
    b.send({ type: 'no_such_frame', room_id: chatId })
    await b.next((f) => f.type === 'error')

    const reports = await until(
      object,
      (rs) => total(rs, 'messages') === 20 && total(rs, 'errors') === 1,
      'messages and errors reported',
    )
    const last = reports.at(-1)!
    expect(last).toMatchObject({
      kind: 'chat',
      rooms: 1,
      connections: [{ protocol: 'json', transport: 'websocket', count: 2 }],
    })
    // Two connections, twenty messages and an error: a few reports, at least an interval apart.
    expect(reports.length).toBeLessThanOrEqual(4)
    for (let i = 1; i < reports.length; i++)
      expect(reports[i].at - reports[i - 1].at).toBeGreaterThanOrEqual(INTERVAL)

    // Idle with both sockets open: nothing more for several intervals (the keep-alive is minutes away).
    await sleep(3 * INTERVAL + 500)
    expect(await reportsOf(object)).toHaveLength(reports.length)

    // The stats route aggregates it.
    const stats = (await json(await call('/api/v1/admin/stats', { token: admin }))).data
    expect(stats.rooms.chat).toBeGreaterThanOrEqual(1)
    expect(stats.totals.messages['kind=chat']).toBeGreaterThanOrEqual(20)

    a.close()
    b.close()
    const emptied = await until(
      object,
      (rs) => rs.at(-1)!.connections.length === 0,
      'the emptied room reported',
    )
    expect(emptied.at(-1)).toMatchObject({ rooms: 0, connections: [], messages: 0 })
    // The registry forgets it, and an empty room reports nothing more.
    const count = emptied.length
    await sleep(3 * INTERVAL)
    expect(await reportsOf(object)).toHaveLength(count)
    const held = await runInDurableObject(metricsRegistryStub(), (_r, state) =>
      state.storage.sql.exec('SELECT object FROM objects WHERE object = ?', object).toArray(),
    )
    expect(held).toEqual([])
  })

  it('should count Socket.IO sessions by transport and the room’s chat messages', async () => {
    const room = `metrics-sio-${Date.now().toString(36)}`
    const object = `conference:${room}`
    const token = (identity: string) => liveKitToken(room, identity, identity)
    const ws = await sioConnected(
      sioClient(`/${room}`, { auth: { token: await token('ws') }, query: { room } }),
    )
    const polling = await sioConnected(
      sioClient(`/${room}`, {
        auth: { token: await token('poll') },
        query: { room },
        transports: [InProcessPolling as any],
        upgrade: false,
      }),
    )
    await ws.emitWithAck('chat-message', 'one')
    await polling.emitWithAck('chat-message', 'two')
    const reports = await until(
      object,
      (rs) => total(rs, 'messages') === 2 && rs.at(-1)!.connections.length === 2,
      'both transports and the messages reported',
    )
    expect(reports.at(-1)).toMatchObject({
      kind: 'conference',
      rooms: 1,
      connections: expect.arrayContaining([
        { protocol: 'socketio', transport: 'websocket', count: 1 },
        { protocol: 'socketio', transport: 'polling', count: 1 },
      ]),
    })
    // An event the namespace refuses is an error.
    await ws.emitWithAck('no-such-event', {})
    await until(object, (rs) => total(rs, 'errors') === 1, 'the refused event reported')

    ws.disconnect()
    polling.disconnect()
    await until(object, (rs) => rs.at(-1)!.connections.length === 0, 'the emptied room reported')
  })

  // A Socket.IO home object (`~<colo>-<n>`, a few per location, for connections without a hint)
  // often holds sessions for a moment only: its first report waits an interval, so one that empties
  // before never reaches the registry. (A location of the test's own: a home no other test uses.)
  it('should keep a home object that empties within the interval out of the registry altogether', async () => {
    const poll = '/socket.io/?EIO=4&transport=polling'
    const cf = { colo: `T${Date.now().toString(36)}` }
    const sid = JSON.parse((await (await call(poll, { cf })).text()).slice(1)).sid as string
    const object = `conference:${refFromSid(sid)!.name}`
    expect((await call(`${poll}&sid=${sid}`, { method: 'POST', body: '1' })).status).toBe(200)
    await sleep(INTERVAL * 2)
    expect(await reportsOf(object)).toEqual([])
  })

  it('should report a home object that lived past the interval, and its emptying at once', async () => {
    const room = `metrics-home-${Date.now().toString(36)}`
    // websocket-only and no hint: the socket stays in its home object.
    const s = await sioConnected(
      sioClient(`/${room}`, {
        auth: { token: await liveKitToken(room, 'home') },
        transports: [InProcessTransport as any],
      }),
    )
    const object = `conference:${refFromSid(s.io.engine.id)!.name}`
    expect(object).toContain(':~')
    const opened = await until(object, (rs) => rs.length > 0, 'the first report, an interval after the open')
    expect(opened).toHaveLength(1)
    expect(opened[0]).toMatchObject({
      rooms: 0,
      connections: [{ protocol: 'socketio', transport: 'websocket', count: 1 }],
    })
    s.disconnect()
    const last = await until(object, (rs) => rs.length === 2, 'the last report')
    expect(last[1]).toMatchObject({ rooms: 0, connections: [] })
    // At once, not an interval after the first report; the registry forgets the home.
    expect(last[1].at - last[0].at).toBeLessThan(INTERVAL)
    const held = await runInDurableObject(metricsRegistryStub(), (_r, state) =>
      state.storage.sql.exec('SELECT object FROM objects WHERE object = ?', object).toArray(),
    )
    expect(held).toEqual([])
  })

  it('should send what the object’s own isolate counted (webhook events) with its ticks', async () => {
    const chat = env.CHAT_ROOM.getByName(`metrics-flush-${Date.now().toString(36)}`)
    const label = `t=${Date.now().toString(36)}`
    await runInDurableObject(chat, async (_o, state) => {
      countWorker('object_counted', { t: label.slice(2) })
      const m = new ObjectMetrics(state, env as never, 'flush-test', { kind: 'chat', protocol: 'json' }, 0)
      m.tick(0, 0, Date.now() + 10 * INTERVAL)
    })
    const deadline = Date.now() + 5000
    let rows: unknown[] = []
    while (!rows.length && Date.now() < deadline) {
      rows = await runInDurableObject(metricsRegistryStub(), (_r, state) =>
        state.storage.sql
          .exec('SELECT value FROM totals WHERE name = ? AND label = ?', 'object_counted', label)
          .toArray(),
      )
      if (!rows.length) await sleep(50)
    }
    expect(rows).toEqual([{ value: 1 }])
  })
})
