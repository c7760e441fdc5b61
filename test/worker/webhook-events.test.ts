import { describe, expect, it } from 'vitest'
import {
  call,
  generateParticipant,
  json,
  mintToken,
  registerUser,
  serviceToken,
  type TestUser,
} from '../helpers'
import { installLiveKitDouble, signWebhook, webhookBody } from '../livekit-double'
import { useWebhookEndpoint, type ReceivedEvent } from '../webhook-receiver'

// The services that own a change tell webhook endpoints about it (README "Operations").
const lk = installLiveKitDouble()
const endpoint = useWebhookEndpoint('all-events', [
  'case.created',
  'link.opened',
  'recording.finished',
  'livechat.opened',
  'livechat.closed',
  'live.started',
  'live.ended',
])

/** Waits for this endpoint to receive an event of `type` whose data matches. */
async function received(type: string, match: (data: any) => boolean): Promise<ReceivedEvent> {
  const [event] = await endpoint.waitFor((e) => e.type === type && match(e.data))
  return event
}

describe('events from the REST services', () => {
  it('should send case.created with the case, for its room’s service', async () => {
    const staff = await serviceToken()
    const room = `evt-case-${Date.now().toString(36)}`
    await generateParticipant(staff, room, { service: 41 })
    const res = await call('/case/create', {
      method: 'POST',
      token: staff,
      json: { room, title: 'Fall at home' },
    })
    const created = (await json(res)).data
    const event = await received('case.created', (d) => d.id === created.id)
    expect(event).toMatchObject({
      service: 41,
      data: { room, title: 'Fall at home', status: created.status },
    })
  })

  it('should send link.opened when a holder opens a link, not when staff read it', async () => {
    const agent = await mintToken('agent')
    const room = `evt-link-${Date.now().toString(36)}`
    const link = (
      await json(
        await call('/link/create', {
          method: 'POST',
          token: agent,
          json: { room, userType: 'caller', service: 42 },
        }),
      )
    ).data
    expect((await call(`/link/getdetail?linkID=${link.linkID}`, { token: agent })).status).toBe(200)
    expect((await call(`/link/getdetail?linkID=${link.linkID}`)).status).toBe(200)
    const event = await received('link.opened', (d) => d.linkID === link.linkID)
    expect(event).toMatchObject({ service: 42, data: { room, used: true } })
    await new Promise((r) => setTimeout(r, 1500))
    const opened = endpoint.events((e) => e.type === 'link.opened' && e.data.linkID === link.linkID)
    expect(opened).toHaveLength(1)
  })

  it('should send livechat.opened and livechat.closed once', async () => {
    const customer: TestUser = await registerUser()
    const opened = await call('/api/v1/livechat/sessions', {
      method: 'POST',
      token: customer.access_token,
      json: { subject: 'Billing' },
    })
    const s = (await json(opened)).data
    const open = await received('livechat.opened', (d) => d.id === s.id)
    expect(open).toMatchObject({
      service: null,
      data: { customer_id: customer.id, subject: 'Billing', status: 'open' },
    })
    const close = () =>
      call(`/api/v1/livechat/sessions/${s.id}/close`, { method: 'POST', token: customer.access_token })
    expect((await close()).status).toBe(200)
    expect((await close()).status).toBe(200)
    const closed = await received('livechat.closed', (d) => d.id === s.id)
    expect(closed.data.status).toBe('closed')
    await new Promise((r) => setTimeout(r, 1500))
    const closes = endpoint.events((e) => e.type === 'livechat.closed' && e.data.id === s.id)
    expect(closes).toHaveLength(1)
  })

  it('should send live.started and live.ended with the session', async () => {
    const mentor = await registerUser({ role: 'mentor' })
    const api = (p: string, init: Parameters<typeof call>[1] = {}) =>
      call(`/api/v1/live${p}`, { method: 'POST', token: mentor.access_token, ...init })
    const s = (await json(await api('/sessions', { json: { title: 'Town hall' } }))).data
    expect((await api(`/sessions/${s.session_id}/start`)).status).toBe(200)
    expect((await received('live.started', (d) => d.session_id === s.session_id)).data.status).toBe('live')
    expect((await api(`/sessions/${s.session_id}/end`)).status).toBe(200)
    expect((await received('live.ended', (d) => d.session_id === s.session_id)).data.status).toBe('ended')
  })

  it('should send recording.finished when LiveKit says the egress ended', async () => {
    const staff = await serviceToken()
    const room = `evt-rec-${Date.now().toString(36)}`
    await generateParticipant(staff, room, { service: 43 })
    const rec = (await json(await call(`/record/request?room=${room}`, { token: staff }))).data
    lk.setEgressStatus(rec.egress_id, 'EGRESS_COMPLETE')
    const body = webhookBody('egress_ended', { egressInfo: lk.egressInfoJson(rec.egress_id) })
    const res = await call('/webhook', {
      method: 'POST',
      headers: { authorization: await signWebhook(body) },
      body,
    })
    expect(res.status).toBe(200)
    const event = await received('recording.finished', (d) => d.id === rec.id)
    expect(event).toMatchObject({ service: 43, data: { room, status: 'complete' } })
  })
})
