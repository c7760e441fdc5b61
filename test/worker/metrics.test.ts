import { env } from 'cloudflare:workers'
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { app } from '../../src/worker/app'
import { metricsRegistry } from '../../src/worker/metrics/registry'
import { MetricsReporter, STALE_AFTER_MS, type ObjectReport } from '../../src/worker/metrics/report'
import { call, json, mintToken } from '../helpers'

let admin: string
beforeAll(async () => {
  admin = await mintToken('admin')
})

const T = 1_700_000_000_000
let seq = 0
const objectId = (tag: string) => `test-${tag}-${Date.now().toString(36)}-${++seq}`

describe('MetricsReporter', () => {
  it('should report nothing for a room where nothing happened', () => {
    const r = new MetricsReporter('chat:a', 'chat', { intervalMs: 10_000 })
    expect(r.take(T)).toBeNull()
    expect(r.take(T + 3_600_000)).toBeNull()
    expect(r.nextReportAt()).toBeNull()
  })

  it('should report a change at once, then batch what follows into one report per interval', () => {
    const r = new MetricsReporter('chat:a', 'chat', { intervalMs: 10_000 })
    r.setRooms(1)
    r.connectionOpened('json', 'websocket')
    r.message()
    expect(r.take(T)).toEqual({
      object: 'chat:a',
      kind: 'chat',
      rooms: 1,
      connections: [{ protocol: 'json', transport: 'websocket', count: 1 }],
      messages: 1,
      errors: 0,
      at: T,
    })
    r.connectionOpened('socketio', 'polling')
    r.message(3)
    r.error()
    expect(r.take(T + 5000)).toBeNull()
    expect(r.nextReportAt()).toBe(T + 10_000)
    const next = r.take(T + 10_000)!
    expect(next).toMatchObject({ messages: 3, errors: 1 })
    expect(next.connections).toHaveLength(2)
    // Deltas were taken; nothing new, so nothing until the keep-alive.
    expect(r.take(T + 20_000)).toBeNull()
  })

  it('should keep a room with connections alive, and report its emptying once', () => {
    const r = new MetricsReporter('chat:b', 'chat', { intervalMs: 10_000, keepAliveMs: 60_000 })
    r.setRooms(1)
    r.connectionOpened('json', 'websocket')
    r.take(T)
    expect(r.take(T + 59_999)).toBeNull()
    expect(r.take(T + 60_000)).toMatchObject({ messages: 0, rooms: 1 })
    r.connectionClosed('json', 'websocket')
    r.setRooms(0)
    expect(r.take(T + 70_000)).toMatchObject({ rooms: 0, connections: [] })
    expect(r.take(T + 999_999)).toBeNull()
  })

  it('should hold the first report of a short-lived object for an interval, and say nothing of one that emptied before it', () => {
    const brief = new MetricsReporter('conference:~a', 'conference', { intervalMs: 10_000, startedAt: T })
    brief.connectionOpened('socketio', 'polling')
    expect(brief.take(T + 100)).toBeNull()
    expect(brief.nextReportAt()).toBe(T + 10_000)
    brief.connectionClosed('socketio', 'polling')
    // Its last chance: the registry never heard of it and it holds nothing, so nothing is sent.
    expect(brief.take(T + 300, true)).toBeNull()
    expect(brief.nextReportAt()).toBeNull()

    // One that lived past the interval reports, and its emptying goes at once when it is the last.
    const longer = new MetricsReporter('conference:~b', 'conference', { intervalMs: 10_000, startedAt: T })
    longer.connectionOpened('socketio', 'websocket')
    expect(longer.take(T + 10_000)).toMatchObject({
      connections: [{ protocol: 'socketio', transport: 'websocket', count: 1 }],
    })
    longer.connectionClosed('socketio', 'websocket')
    expect(longer.take(T + 10_500)).toBeNull()
    expect(longer.take(T + 10_500, true)).toMatchObject({ rooms: 0, connections: [] })

    // An object that emptied before reporting but counted an error still reports it.
    const failed = new MetricsReporter('conference:~c', 'conference', { intervalMs: 10_000, startedAt: T })
    failed.connectionOpened('socketio', 'polling')
    failed.error()
    failed.connectionClosed('socketio', 'polling')
    expect(failed.take(T + 200, true)).toMatchObject({ connections: [], errors: 1 })
  })

  it('should take gauges rebuilt after a wake', () => {
    const r = new MetricsReporter('chat:c', 'chat', { intervalMs: 10_000 })
    r.setConnections([
      { protocol: 'socketio', transport: 'websocket', count: 4 },
      { protocol: 'socketio', transport: 'polling', count: 0 },
    ])
    expect(r.take(T)!.connections).toEqual([{ protocol: 'socketio', transport: 'websocket', count: 4 }])
  })
})

describe('metrics registry', () => {
  const report = (over: Partial<ObjectReport>): ObjectReport => ({
    object: objectId('obj'),
    kind: 'conference',
    rooms: 1,
    connections: [],
    messages: 0,
    errors: 0,
    at: Date.now(),
    ...over,
  })

  it('should aggregate the latest gauges of each object and forget an emptied one', async () => {
    const registry = metricsRegistry(env)
    const before = await registry.snapshot()
    const a = report({ connections: [{ protocol: 'socketio', transport: 'websocket', count: 3 }] })
    const b = report({
      connections: [
        { protocol: 'socketio', transport: 'websocket', count: 2 },
        { protocol: 'socketio', transport: 'polling', count: 1 },
      ],
    })
    await registry.report({ objects: [a, b] })
    // A later report replaces the earlier gauges of the same object.
    await registry.report({
      objects: [{ ...a, connections: [{ protocol: 'socketio', transport: 'websocket', count: 5 }] }],
    })
    const mid = await registry.snapshot()
    expect(mid.objects_reporting - before.objects_reporting).toBe(2)
    expect((mid.rooms.conference ?? 0) - (before.rooms.conference ?? 0)).toBe(2)
    expect(mid.connections_total - before.connections_total).toBe(8)
    await registry.report({ objects: [{ ...a, rooms: 0, connections: [], at: Date.now() }] })
    const after = await registry.snapshot()
    expect(after.objects_reporting - before.objects_reporting).toBe(1)
    expect(after.connections_total - before.connections_total).toBe(3)
  })

  it('should drop an object that stopped reporting', async () => {
    const registry = metricsRegistry(env)
    const before = await registry.snapshot()
    await registry.report({
      objects: [report({ kind: 'live', at: Date.now() - STALE_AFTER_MS - 1000, connections: [] })],
    })
    expect((await registry.snapshot()).objects_reporting).toBe(before.objects_reporting)
  })

  it('should count messages and errors per minute and in totals', async () => {
    const registry = metricsRegistry(env)
    const minute = () => Math.floor(Date.now() / 60_000)
    // The snapshot's "last complete minute" is the registry's clock: a run that crosses a minute
    // boundary compares two different minutes, so it is run again.
    let before, after, started
    do {
      started = minute()
      const lastMinute = (started - 1) * 60_000 + 5
      before = await registry.snapshot()
      await registry.report({
        objects: [
          report({ kind: 'livechat', messages: 7, errors: 2, at: lastMinute }),
          report({ kind: 'livechat', messages: 5, at: lastMinute + 1 }),
        ],
      })
      after = await registry.snapshot()
    } while (minute() !== started)
    expect((after.messages_per_minute.livechat ?? 0) - (before.messages_per_minute.livechat ?? 0)).toBe(12)
    expect((after.errors_per_minute.livechat ?? 0) - (before.errors_per_minute.livechat ?? 0)).toBe(2)
    const total = (s: typeof after, name: string) => s.totals[name]?.['kind=livechat'] ?? 0
    expect(total(after, 'messages') - total(before, 'messages')).toBe(12)
    expect(total(after, 'errors') - total(before, 'errors')).toBe(2)
  })
})

describe('GET /api/v1/admin/stats', () => {
  it('should be admin-only', async () => {
    expect((await call('/api/v1/admin/stats')).status).toBe(401)
    expect((await call('/api/v1/admin/stats', { token: await mintToken('agent') })).status).toBe(403)
  })

  it('should include what the Worker counted, up to the request before', async () => {
    const first = (await json(await call('/api/v1/admin/stats', { token: admin }))).data
    const count = (s: any) => s.totals.http_requests?.['family=gateway,status=4xx'] ?? 0
    await call('/no-such-route-1')
    await call('/no-such-route-2')
    const second = (await json(await call('/api/v1/admin/stats', { token: admin }))).data
    expect(count(second) - count(first)).toBe(2)
    expect(second).toMatchObject({ rooms: expect.any(Object), connections: expect.any(Array) })
  })
})

describe('GET /metrics', () => {
  it('should refuse a missing or wrong token', async () => {
    expect((await call('/metrics')).status).toBe(401)
    expect((await call('/metrics', { token: 'wrong' })).status).toBe(401)
  })

  it('should answer Prometheus text with the registry’s figures', async () => {
    const object = objectId('prom')
    await metricsRegistry(env).report({
      objects: [
        {
          object,
          kind: 'notification',
          rooms: 1,
          connections: [{ protocol: 'socketio', transport: 'polling', count: 2 }],
          messages: 1,
          errors: 0,
          at: Date.now(),
        },
      ],
    })
    const res = await call('/metrics', { token: 'test-metrics-token' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    expect(text).toContain('# TYPE switchboard_connections gauge')
    expect(text).toMatch(/^switchboard_rooms_open\{kind="notification"\} [1-9]\d*$/m)
    expect(text).toMatch(/^switchboard_connections\{protocol="socketio",transport="polling"\} [1-9]\d*$/m)
    expect(text).toMatch(/^switchboard_messages_total\{kind="notification"\} [1-9]\d*$/m)
    expect(text).toMatch(/^switchboard_http_requests_total\{family="\w+",status="\dxx"\} \d+$/m)
    // Every sample line is `name{labels} number`.
    for (const line of text
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('#')))
      expect(line).toMatch(/^switchboard_[a-z_]+(\{[^}]*\})? \d+$/)
  })

  it('should be off without METRICS_TOKEN', async () => {
    const ctx = createExecutionContext()
    const res = await app.fetch(new Request('http://localhost/metrics'), { ...env, METRICS_TOKEN: '' }, ctx)
    await waitOnExecutionContext(ctx)
    expect(res.status).toBe(404)
    expect((await json(res)).message).toMatch(/METRICS_TOKEN/)
  })
})
