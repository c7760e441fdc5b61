import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { liveChatStub, type LiveChatSession } from '../objects/test-classes'
import { describe, expect, it } from 'vitest'
import { ChatClient } from '../chat-client'
import { call, json, registerUser, type TestUser } from '../helpers'

async function openSession(customer: TestUser, subject = 'Help') {
  const res = await call('/api/v1/livechat/sessions', {
    method: 'POST',
    token: customer.access_token,
    json: { subject },
  })
  expect(res.status).toBe(201)
  return (await json(res)).data as {
    id: string
    customer_id: string
    agent_id: string | null
    status: string
  }
}

async function connect(sessionId: string, user: TestUser, type: string, extra = '', userId = user.id) {
  const res = await call(`/ws/${sessionId}/${userId}/${type}?token=${user.access_token}${extra}`, {
    headers: { upgrade: 'websocket' },
  })
  if (!res.webSocket) return { res }
  res.webSocket.accept()
  return { res, client: new ChatClient(res.webSocket) }
}

const status = async (sessionId: string, user: TestUser) =>
  json(await call(`/api/session/${sessionId}/connection-status`, { token: user.access_token }))

/** A session with its customer and an agent connected (the customer has seen the agent arrive). */
async function customerWithAgent() {
  const customer = await registerUser()
  const agent = await registerUser({ role: 'agent' })
  const s = await openSession(customer)
  const c = (await connect(s.id, customer, 'customer')).client!
  const a = (await connect(s.id, agent, 'agent')).client!
  await c.next((f) => f.type === 'user_connected' && f.data.user_type === 'agent')
  return { customer, agent, s, c, a }
}

describe('live chat sessions (seed 004)', () => {
  it('should let a customer and an agent chat in real time, with acks after the write', async () => {
    const { customer, s, c, a } = await customerWithAgent()
    c.send({ type: 'send_message', data: { message: 'Hello from client', client_id: 'c1' } })
    const ack = await c.next((f) => f.type === 'message_ack')
    expect(ack.data).toMatchObject({ client_id: 'c1', seq: 1, duplicate: false })
    const got = await a.next((f) => f.type === 'new_message')
    expect(got.data).toMatchObject({
      id: ack.data.id,
      seq: 1,
      session_id: s.id,
      user_id: customer.id,
      user_type: 'customer',
      message: 'Hello from client',
    })
    a.send({ type: 'send_message', data: { message: 'How can I help?' } })
    expect((await c.next((f) => f.type === 'new_message' && f.data.seq === 2)).data.user_type).toBe('agent')
    const history = await json(
      await call(`/api/v1/livechat/sessions/${s.id}/messages`, { token: customer.access_token }),
    )
    expect(history.data.messages.map((m: { message: string }) => m.message)).toEqual([
      'How can I help?',
      'Hello from client',
    ])
    c.close()
    a.close()
  })

  it('should answer the connection status exactly as seed 004 shows', async () => {
    const customer = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const s = await openSession(customer)
    const empty = await status(s.id, customer)
    expect(empty).toEqual({
      success: true,
      message: 'Connection status retrieved successfully',
      data: {
        users: {},
        customer_connected: false,
        agent_connected: false,
        total_customer: 0,
        total_agent: 0,
      },
    })
    const c = (await connect(s.id, customer, 'customer')).client!
    await c.next((f) => f.type === 'user_connected')
    const one = (await status(s.id, agent)).data
    expect(one).toMatchObject({
      customer_connected: true,
      agent_connected: false,
      total_customer: 1,
      total_agent: 0,
    })
    expect(one.users[customer.id]).toEqual({
      user_id: customer.id,
      user_type: 'customer',
      joined_at: expect.stringMatching(/Z$/),
    })
    const a = (await connect(s.id, agent, 'agent')).client!
    await c.next((f) => f.type === 'user_connected' && f.data.user_id === agent.id)
    expect((await status(s.id, customer)).data).toMatchObject({ agent_connected: true, total_agent: 1 })
    a.close()
    const left = await c.next((f) => f.type === 'user_disconnected')
    expect(left.data).toMatchObject({
      user_id: agent.id,
      user_type: 'agent',
      status: { agent_connected: false },
    })
    c.close()
  })

  it('should refuse sockets whose claim does not match the token or the session', async () => {
    const customer = await registerUser()
    const stranger = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const s = await openSession(customer)
    expect((await connect(s.id, stranger, 'customer')).res.status).toBe(403) // not this session's customer
    expect((await connect(s.id, customer, 'agent')).res.status).toBe(403) // a member is no agent
    expect((await connect(s.id, agent, 'customer')).res.status).toBe(403) // agent posing as customer
    expect((await connect(s.id, customer, 'customer', '', agent.id)).res.status).toBe(403) // path user ≠ token
    expect((await connect(s.id, customer, 'visitor')).res.status).toBe(400)
    expect((await connect('no-such-session', customer, 'customer')).res.status).toBe(404)
    const noToken = await call(`/ws/${s.id}/${customer.id}/customer`, { headers: { upgrade: 'websocket' } })
    expect(noToken.status).toBe(401)
  })

  it('should assign the first agent and refuse a second one', async () => {
    const customer = await registerUser()
    const first = await registerUser({ role: 'agent' })
    const second = await registerUser({ role: 'agent' })
    const s = await openSession(customer)
    const a = (await connect(s.id, first, 'agent')).client!
    expect(
      (await json(await call(`/api/v1/livechat/sessions/${s.id}`, { token: customer.access_token }))).data
        .agent_id,
    ).toBe(first.id)
    expect((await connect(s.id, second, 'agent')).res.status).toBe(403)
    expect((await call(`/api/v1/livechat/sessions/${s.id}`, { token: second.access_token })).status).toBe(403)
    a.close()
  })

  it('should make a repeated client_id one message, acked with the first id', async () => {
    const customer = await registerUser()
    const s = await openSession(customer)
    const c = (await connect(s.id, customer, 'customer')).client!
    c.send({ type: 'send_message', data: { message: 'once', client_id: 'dup' } })
    const first = await c.next((f) => f.type === 'message_ack')
    c.send({ type: 'send_message', data: { message: 'once', client_id: 'dup' } })
    const second = await c.next((f) => f.type === 'message_ack')
    expect(second.data).toMatchObject({ id: first.data.id, seq: 1, duplicate: true })
    expect(c.ofType('new_message')).toHaveLength(1)
    c.close()
  })

  it('should write sends sent in one go in order, and keep typing behind them', async () => {
    const { s, c, a } = await customerWithAgent()
    for (const [i, k] of ['k1', 'k2', 'k1'].entries())
      c.send({ type: 'send_message', data: { message: `m${i}`, client_id: k } })
    c.send({ type: 'typing', data: { is_typing: true } })
    const acks = await c.take(3, (f) => f.type === 'message_ack')
    expect(acks.map((f) => [f.data.client_id, f.data.seq, f.data.duplicate])).toEqual([
      ['k1', 1, false],
      ['k2', 2, false],
      ['k1', 1, true],
    ])
    await a.next((f) => f.type === 'typing' && f.data.is_typing === true)
    const seen = a.frames.filter((f) => f.type === 'new_message' || f.type === 'typing')
    expect(seen.map((f) => (f.type === 'typing' ? 'typing' : f.data.message))).toEqual(['m0', 'm1', 'typing'])
    c.close()
    a.close()
  })

  it('should answer malformed and unknown frames with error frames and keep working', async () => {
    const customer = await registerUser()
    const s = await openSession(customer)
    const c = (await connect(s.id, customer, 'customer')).client!
    c.send('{not json')
    expect((await c.next((f) => f.type === 'error')).code).toBe('bad_request')
    c.send({ type: 'teleport' })
    expect((await c.next((f) => f.type === 'error')).code).toBe('validation_failed')
    c.send({ type: 'send_message', data: {} })
    const missing = await c.next((f) => f.type === 'error')
    expect(missing.details.fields[0].path).toBe('data.message')
    c.send({ type: 'send_message', data: { message: 'still here' } })
    expect((await c.next((f) => f.type === 'message_ack')).data.seq).toBe(1)
    c.close()
  })

  it('should replay missed messages on reconnect with since', async () => {
    const customer = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const s = await openSession(customer)
    const a = (await connect(s.id, agent, 'agent')).client!
    for (const m of ['one', 'two', 'three']) {
      a.send({ type: 'send_message', data: { message: m } })
      await a.next((f) => f.type === 'message_ack')
    }
    const c = (await connect(s.id, customer, 'customer', '&since=1')).client!
    const replayed = await c.take(2, (f) => f.type === 'new_message')
    expect(replayed.map((f) => f.data.message)).toEqual(['two', 'three'])
    a.close()
    c.close()
  })

  it('should relay typing and expire it on its own', async () => {
    const customer = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const s = await openSession(customer)
    const c = (await connect(s.id, customer, 'customer')).client!
    const a = (await connect(s.id, agent, 'agent')).client!
    const stub = liveChatStub(s.id)
    await runInDurableObject(stub, (o: LiveChatSession) => {
      o.typingTtlMs = 20
    })
    c.send({ type: 'typing', data: { is_typing: true } })
    expect((await a.next((f) => f.type === 'typing')).data).toEqual({
      user_id: customer.id,
      user_type: 'customer',
      is_typing: true,
    })
    // Nothing renews it: the object's own alarm clears it, without any client frame.
    expect((await a.next((f) => f.type === 'typing' && f.data.is_typing === false)).data.user_id).toBe(
      customer.id,
    )
    c.close()
    a.close()
  })

  it('should close a session: sockets told and closed, new sockets refused, status closed', async () => {
    const customer = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const stranger = await registerUser()
    const s = await openSession(customer)
    const c = (await connect(s.id, customer, 'customer')).client!
    const a = (await connect(s.id, agent, 'agent')).client!
    expect(
      (
        await call(`/api/v1/livechat/sessions/${s.id}/close`, {
          method: 'POST',
          token: stranger.access_token,
        })
      ).status,
    ).toBe(403)
    const res = await call(`/api/v1/livechat/sessions/${s.id}/close`, {
      method: 'POST',
      token: agent.access_token,
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data.status).toBe('closed')
    expect((await c.next((f) => f.type === 'session_closed')).data.reason).toBe('closed by agent')
    await a.next((f) => f.type === 'session_closed')
    expect((await connect(s.id, customer, 'customer')).res.status).toBe(409)
  })

  it('should list all sessions to agents and only their own to customers', async () => {
    const mine = await registerUser()
    const other = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    const s1 = await openSession(mine)
    const s2 = await openSession(other)
    const own = (await json(await call('/api/v1/livechat/sessions', { token: mine.access_token }))).data
      .sessions
    expect(own.map((s: { id: string }) => s.id)).toEqual([s1.id])
    const all = (
      await json(await call('/api/v1/livechat/sessions?status=open', { token: agent.access_token }))
    ).data.sessions
    expect(all.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([s1.id, s2.id]))
  })
})
