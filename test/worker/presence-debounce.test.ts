import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { PresenceDebouncer } from '../../src/worker/lib/presence-debounce'
import { emitEvents, presenceEvent } from '../../src/worker/services/events'
import { call, json, mintToken } from '../helpers'
import { installWebhookReceiver } from '../webhook-receiver'

const T = 1_000_000
const types = (changes: { type: string; userId: string }[]) => changes.map((c) => `${c.type} ${c.userId}`)

describe('PresenceDebouncer', () => {
  it('should report a join for a user’s first connection only', () => {
    const p = new PresenceDebouncer({ graceMs: 5000 })
    expect(types(p.connected('r', 'u1', 'c1', 'Ann', T))).toEqual(['presence.joined u1'])
    expect(p.connected('r', 'u1', 'c2', 'Ann', T + 10)).toEqual([])
    expect(types(p.connected('other', 'u1', 'c3', 'Ann', T + 20))).toEqual(['presence.joined u1'])
  })

  it('should report a leave only after the last connection closed and the grace passed', () => {
    const p = new PresenceDebouncer({ graceMs: 5000 })
    p.connected('r', 'u1', 'c1', 'Ann', T)
    p.connected('r', 'u1', 'c2', 'Ann', T)
    expect(p.disconnected('r', 'u1', 'c1', T + 100)).toEqual([])
    expect(p.nextDueAt()).toBeNull()
    expect(p.disconnected('r', 'u1', 'c2', T + 200)).toEqual([])
    expect(p.nextDueAt()).toBe(T + 5200)
    expect(p.due(T + 5199)).toEqual([])
    const left = p.due(T + 5200)
    expect(left).toEqual([{ type: 'presence.left', room: 'r', userId: 'u1', userName: 'Ann', at: T + 200 }])
    expect(p.due(T + 99_999)).toEqual([])
    expect(p.nextDueAt()).toBeNull()
  })

  it('should say nothing when the user reconnects within the grace', () => {
    const p = new PresenceDebouncer({ graceMs: 5000 })
    p.connected('r', 'u1', 'c1', 'Ann', T)
    p.disconnected('r', 'u1', 'c1', T + 100)
    expect(p.connected('r', 'u1', 'c9', 'Ann', T + 3000)).toEqual([])
    expect(p.due(T + 60_000)).toEqual([])
  })

  it('should report the overdue leave, then the join, when the reconnect came too late', () => {
    const p = new PresenceDebouncer({ graceMs: 5000 })
    p.connected('r', 'u1', 'c1', 'Ann', T)
    p.disconnected('r', 'u1', 'c1', T + 100)
    expect(types(p.connected('r', 'u1', 'c2', 'Ann', T + 9000))).toEqual([
      'presence.left u1',
      'presence.joined u1',
    ])
  })

  it('should report at once with a grace of 0, and ignore unknown connections', () => {
    const p = new PresenceDebouncer({ graceMs: 0 })
    expect(p.disconnected('r', 'ghost', 'c0', T)).toEqual([])
    p.connected('r', 'u1', 'c1', null, T)
    expect(types(p.disconnected('r', 'u1', 'c1', T + 1))).toEqual(['presence.left u1'])
  })

  it('should keep pending leaves across a restore, dropping those whose user is connected again', () => {
    const before = new PresenceDebouncer({ graceMs: 5000 })
    before.connected('r', 'u1', 'c1', 'Ann', T)
    before.connected('r', 'u2', 'c2', 'Bob', T)
    before.disconnected('r', 'u1', 'c1', T + 10)
    before.disconnected('r', 'u2', 'c2', T + 10)
    const stored = JSON.parse(JSON.stringify(before.pendingLeaves()))
    const after = new PresenceDebouncer({ graceMs: 5000 })
    after.restore([{ room: 'r', userId: 'u2', connectionId: 'c3', userName: 'Bob' }], stored)
    expect(types(after.due(T + 6000))).toEqual(['presence.left u1'])
    // u2's restored connection is known: closing it starts a leave.
    expect(after.disconnected('r', 'u2', 'c3', T + 7000)).toEqual([])
    expect(types(after.due(T + 12_000))).toEqual(['presence.left u2'])
  })

  it('should adopt a connection announced before a wake without reporting it, so its close is a leave', () => {
    const p = new PresenceDebouncer({ graceMs: 5000 })
    p.restore([], [{ room: 'r', userId: 'u2', userName: 'Bo', leftAt: T, dueAt: T + 5000 }])
    p.adopt({ room: 'r', userId: 'u1', userName: 'Ann', connectionId: 'c1' })
    expect(p.disconnected('r', 'u1', 'c1', T + 1000)).toEqual([])
    // Adopting a user whose leave is pending means they are here after all.
    p.adopt({ room: 'r', userId: 'u2', connectionId: 'c2' })
    expect(p.due(T + 10_000)).toEqual([
      { type: 'presence.left', room: 'r', userId: 'u1', userName: 'Ann', at: T + 1000 },
    ])
  })

  it('should refuse a negative grace', () => {
    expect(() => new PresenceDebouncer({ graceMs: -1 })).toThrow(/graceMs/)
  })
})

describe('presence events to webhooks', () => {
  it('should deliver joined and left, and nothing for a reconnect within the grace', async () => {
    const receiver = installWebhookReceiver()
    const admin = await mintToken('admin')
    const service = 80_000 + Math.floor(Math.random() * 1_000_000)
    const path = `presence-${service}`
    const res = await call('/api/v1/admin/webhooks', {
      method: 'POST',
      token: admin,
      json: {
        url: receiver.url(path),
        events: ['presence.joined', 'presence.left'],
        service,
        max_batch_size: 10,
      },
    })
    expect(res.status).toBe(201)
    const p = new PresenceDebouncer({ graceMs: 5000 })
    const emit = (changes: ReturnType<PresenceDebouncer['due']>) =>
      emitEvents(
        env,
        changes.map((c) => presenceEvent(c, 'chat', service)),
      )
    await emit(p.connected('chat-1', 'u1', 'c1', 'Ann', T))
    await emit(p.disconnected('chat-1', 'u1', 'c1', T + 1000))
    await emit(p.connected('chat-1', 'u1', 'c2', 'Ann', T + 2000)) // a reload: nothing
    await emit(p.disconnected('chat-1', 'u1', 'c2', T + 3000))
    await emit(p.due(T + 8000))
    await receiver.waitForEvents(path, 2)
    await new Promise((r) => setTimeout(r, 1500)) // time for anything extra to arrive
    const events = receiver.of(path).flatMap((r) => r.events)
    expect(events.map((e) => e.type)).toEqual(['presence.joined', 'presence.left'])
    expect(events[1]).toMatchObject({
      service,
      data: {
        room: { kind: 'chat', id: 'chat-1' },
        user_id: 'u1',
        user_name: 'Ann',
        at: new Date(T + 3000).toISOString(),
      },
    })
    await call(`/api/v1/admin/webhooks/${(await json(res)).data.id}`, { method: 'DELETE', token: admin })
  })
})
