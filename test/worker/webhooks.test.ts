import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyWebhook } from '../../src/worker/lib/webhook-signature'
import type { EventInput } from '../../src/worker/schemas/events'
import { emitEvent, emitEvents } from '../../src/worker/services/events'
import { retryDelay } from '../../src/worker/services/webhook-delivery'
import { call, json, mintToken } from '../helpers'
import { installWebhookReceiver } from '../webhook-receiver'

const receiver = installWebhookReceiver()
let admin: string
beforeAll(async () => {
  admin = await mintToken('admin')
})

let seq = 0
/** A service number no other test uses, so endpoints here see only this test's events. */
const freshService = () => 70_000 + Math.floor(Math.random() * 1_000_000) + ++seq
const freshPath = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`

async function register(body: Record<string, unknown>) {
  const res = await call('/api/v1/admin/webhooks', { method: 'POST', token: admin, json: body })
  expect(res.status).toBe(201)
  return (await json(res)).data as { id: string; secret: string; url: string }
}

/** A case.created event of `service` (synthetic: these tests are about delivery, not the case service). */
const caseEvent = (service: number, id = `case-${++seq}`): EventInput<'case.created'> => ({
  type: 'case.created',
  service,
  data: {
    id,
    room: null,
    title: 'Test',
    detail: null,
    type: null,
    status: 'new',
    caller_phone: null,
    device: null,
    lat: null,
    lng: null,
    created_by: null,
    assigned_to: null,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  },
})

describe('admin webhook endpoints', () => {
  it('should be admin-only', async () => {
    expect((await call('/api/v1/admin/webhooks')).status).toBe(401)
    const member = await mintToken('member')
    expect((await call('/api/v1/admin/webhooks', { token: member })).status).toBe(403)
    const agent = await mintToken('agent')
    const res = await call('/api/v1/admin/webhooks', {
      method: 'POST',
      token: agent,
      json: { url: 'https://x.example', events: ['case.created'] },
    })
    expect(res.status).toBe(403)
  })

  it('should refuse an unknown event type and a non-http URL, naming the fields', async () => {
    const res = await call('/api/v1/admin/webhooks', {
      method: 'POST',
      token: admin,
      json: { url: 'ftp://x.example/hook', events: ['case.created', 'nope.never'] },
    })
    expect(res.status).toBe(400)
    const paths = (await json(res)).error.details.fields.map((f: { path: string }) => f.path)
    expect(paths).toEqual(expect.arrayContaining(['url', 'events.1']))
  })

  it('should show the secret once, then list, change and delete the endpoint', async () => {
    const created = await register({ url: 'https://x.example/a', events: ['case.created'], service: 3 })
    expect(created.secret).toMatch(/^whsec_/)
    const one = await json(await call(`/api/v1/admin/webhooks/${created.id}`, { token: admin }))
    expect(one.data).toMatchObject({ url: 'https://x.example/a', events: ['case.created'], service: 3 })
    expect(one.data.secret).toBeUndefined()
    const list = await json(await call('/api/v1/admin/webhooks?service=3', { token: admin }))
    expect(list.data.endpoints.map((e: { id: string }) => e.id)).toContain(created.id)
    const patched = await call(`/api/v1/admin/webhooks/${created.id}`, {
      method: 'PATCH',
      token: admin,
      json: { events: ['link.opened', 'live.ended'], max_batch_size: 20 },
    })
    expect((await json(patched)).data).toMatchObject({
      events: ['link.opened', 'live.ended'],
      max_batch_size: 20,
    })
    const rotated = await json(
      await call(`/api/v1/admin/webhooks/${created.id}/rotate-secret`, { method: 'POST', token: admin }),
    )
    expect(rotated.data.secret).toMatch(/^whsec_/)
    expect(rotated.data.secret).not.toBe(created.secret)
    expect(
      (await call(`/api/v1/admin/webhooks/${created.id}`, { method: 'DELETE', token: admin })).status,
    ).toBe(200)
    expect((await call(`/api/v1/admin/webhooks/${created.id}`, { token: admin })).status).toBe(404)
  })

  it('should refuse an empty change', async () => {
    const created = await register({ url: 'https://x.example/b', events: ['case.created'] })
    const res = await call(`/api/v1/admin/webhooks/${created.id}`, {
      method: 'PATCH',
      token: admin,
      json: {},
    })
    expect(res.status).toBe(400)
    await call(`/api/v1/admin/webhooks/${created.id}`, { method: 'DELETE', token: admin })
  })
})

describe('delivery', () => {
  it('should POST a signed event that verifies with the endpoint’s secret, and only to its service', async () => {
    const service = freshService()
    const path = freshPath('signed')
    const other = freshPath('other-service')
    const hook = await register({ url: receiver.url(path), events: ['case.created'], service })
    await register({ url: receiver.url(other), events: ['case.created'], service: service + 1 })
    const event = caseEvent(service)
    await emitEvent(env, event)
    const [got] = await receiver.waitFor(path)
    expect(got.headers.get('content-type')).toBe('application/json')
    expect(got.headers.get('x-switchboard-delivery')).toBeTruthy()
    const ts = got.headers.get('x-switchboard-timestamp')
    const sig = got.headers.get('x-switchboard-signature')
    expect(sig).toMatch(/^v1=[0-9a-f]{64}$/)
    expect(await verifyWebhook(hook.secret, ts, got.body, sig)).toBe(true)
    // A changed body, another secret or a stale timestamp do not verify.
    expect(await verifyWebhook(hook.secret, ts, got.body.replace('Test', 'Tost'), sig)).toBe(false)
    expect(await verifyWebhook('whsec_other', ts, got.body, sig)).toBe(false)
    expect(await verifyWebhook(hook.secret, ts, got.body, sig, { now: Date.now() + 600_000 })).toBe(false)
    expect(got.events).toHaveLength(1)
    expect(got.events[0]).toMatchObject({ type: 'case.created', service, data: { id: event.data.id } })
    expect(got.events[0].id).toBeTruthy()
    expect(receiver.of(other)).toHaveLength(0)
  })

  it('should send nothing to an endpoint that did not ask for the type, or is disabled', async () => {
    const service = freshService()
    const wrongType = freshPath('wrong-type')
    const disabled = freshPath('disabled')
    const control = freshPath('control')
    await register({ url: receiver.url(wrongType), events: ['link.opened'], service })
    await register({ url: receiver.url(disabled), events: ['case.created'], service, enabled: false })
    await register({ url: receiver.url(control), events: ['case.created'], service })
    await emitEvent(env, caseEvent(service))
    await receiver.waitFor(control)
    expect(receiver.of(wrongType)).toHaveLength(0)
    expect(receiver.of(disabled)).toHaveLength(0)
  })

  it('should batch up to max_batch_size events per POST where the endpoint allows it', async () => {
    const service = freshService()
    const batched = freshPath('batched')
    const single = freshPath('single')
    await register({ url: receiver.url(batched), events: ['case.created'], service, max_batch_size: 10 })
    await register({ url: receiver.url(single), events: ['case.created'], service })
    const events = [caseEvent(service), caseEvent(service), caseEvent(service)]
    await emitEvents(env, events)
    await receiver.waitFor(single, 3)
    const got = await receiver.waitFor(batched)
    expect(got).toHaveLength(1)
    expect(got[0].events.map((e) => e.data.id).sort()).toEqual(events.map((e) => e.data.id).sort())
    expect(receiver.of(single).every((r) => r.events.length === 1)).toBe(true)
  })

  it('should retry after 500s with growing delays, the same event each time', async () => {
    const service = freshService()
    const path = freshPath('flaky')
    await register({ url: receiver.url(path, [500, 503]), events: ['case.created'], service })
    await emitEvent(env, caseEvent(service))
    const got = await receiver.waitFor(path, 3)
    expect(new Set(got.map((r) => r.events[0].id)).size).toBe(1)
    // Base 1 s in tests: at least 1 s before the second try and 2 s before the third.
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(1000)
    expect(got[2].at - got[1].at).toBeGreaterThanOrEqual(2000)
    await new Promise((r) => setTimeout(r, 1500))
    expect(receiver.of(path)).toHaveLength(3)
  })

  it('should double the delay each retry, capped at Queues’ 12 hours', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 30))).toEqual([30, 60, 120, 240])
    expect(retryDelay(20, 30)).toBe(43_200)
    expect(retryDelay(3, 0)).toBe(0)
  })
})

describe('dead letters', () => {
  it('should keep a delivery that failed its last try, and replay it on demand with the same event id', async () => {
    const service = freshService()
    const path = freshPath('down')
    const hook = await register({
      url: receiver.url(path, [500, 500, 500]),
      events: ['case.created'],
      service,
    })
    const event = caseEvent(service)
    await emitEvent(env, event)
    await receiver.waitFor(path, 3)
    let dead: any[] = []
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      const res = await call(`/api/v1/admin/webhooks/dead-letters?endpoint_id=${hook.id}`, { token: admin })
      dead = (await json(res)).data.dead_letters
    }
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({
      endpoint_id: hook.id,
      event_type: 'case.created',
      attempts: 3,
      last_status: 500,
      event: { type: 'case.created', data: { id: event.data.id } },
    })
    const firstId = receiver.of(path)[0].events[0].id
    expect(dead[0].event_id).toBe(firstId)

    // The receiver is back: replaying delivers the same event and empties the store.
    const replay = await call(`/api/v1/admin/webhooks/dead-letters/${dead[0].id}/replay`, {
      method: 'POST',
      token: admin,
    })
    expect(replay.status).toBe(200)
    expect((await json(replay)).data).toMatchObject({ replayed: 1 })
    const got = await receiver.waitFor(path, 4)
    expect(got[3].events[0].id).toBe(firstId)
    const after = await json(
      await call(`/api/v1/admin/webhooks/dead-letters?endpoint_id=${hook.id}`, { token: admin }),
    )
    expect(after.data.dead_letters).toHaveLength(0)
    const again = await call(`/api/v1/admin/webhooks/dead-letters/${dead[0].id}/replay`, {
      method: 'POST',
      token: admin,
    })
    expect(again.status).toBe(404)
  })

  it('should replay all of an endpoint’s dead letters', async () => {
    const service = freshService()
    const path = freshPath('down-many')
    const hook = await register({
      url: receiver.url(path, Array(6).fill(500)),
      events: ['case.created'],
      service,
    })
    await emitEvents(env, [caseEvent(service), caseEvent(service)])
    await receiver.waitFor(path, 6)
    let dead: any[] = []
    for (let i = 0; i < 100 && dead.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100))
      dead = (
        await json(await call(`/api/v1/admin/webhooks/dead-letters?endpoint_id=${hook.id}`, { token: admin }))
      ).data.dead_letters
    }
    expect(dead).toHaveLength(2)
    const res = await call(`/api/v1/admin/webhooks/${hook.id}/dead-letters/replay`, {
      method: 'POST',
      token: admin,
    })
    expect((await json(res)).data).toEqual({ replayed: 2, remaining: 0 })
    const got = await receiver.waitFor(path, 8)
    expect(new Set(got.slice(6).map((r) => r.events[0].id))).toEqual(new Set(dead.map((d) => d.event_id)))
  })
})
