import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { ChatClient, connect, groupWith, restSend } from '../chat-client'
import { call, generateParticipant, json, registerUser, serviceToken } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'
import { sioClient, sioConnected } from '../sio-client'
import { useWebhookEndpoint, type ReceivedEvent as Event } from '../webhook-receiver'

// The room core's webhook events (README "Operations"): message.created after each write batch,
// presence.joined / presence.left through the debouncer (PRESENCE_LEAVE_GRACE_MS = 5 s here),
// over the JSON protocol, live chat and the Socket.IO room namespace, to a local receiver.
installLiveKitDouble()
const endpoint = useWebhookEndpoint('room-events', ['message.created', 'presence.joined', 'presence.left'])
const GRACE = Number(env.PRESENCE_LEAVE_GRACE_MS)
const events = endpoint.events
/** Waits for `count` events matching `match` (and fails naming what did arrive). */
const eventsFor = (match: (e: Event) => boolean, count = 1) => endpoint.waitFor(match, count)
const inRoom = (id: string) => (e: Event) => e.data.room?.id === id

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const chatStub = (id: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(id))

describe('message.created from the room core', () => {
  it('should send every message of a chat once, in seq order, whether sent over the socket or REST', async () => {
    const { chatId, users } = await groupWith(2, 'Webhook chat')
    const a = await connect(users[0], chatId)
    for (const content of ['one', 'two', 'three'])
      a.send({ type: 'send_message', room_id: chatId, content, client_id: content })
    const acks = await a.take(3, (f) => f.type === 'message_ack')
    expect(acks.map((f) => f.seq)).toEqual([1, 2, 3])
    // A repeated client_id is acknowledged again but is not a new message.
    a.send({ type: 'send_message', room_id: chatId, content: 'one', client_id: 'one' })
    expect((await a.next((f) => f.type === 'message_ack')).duplicate).toBe(true)
    expect((await restSend(users[1], chatId, { content: 'four' })).status).toBe(201)

    const created = await eventsFor((e) => e.type === 'message.created' && inRoom(chatId)(e), 4)
    await sleep(300)
    expect(events((e) => e.type === 'message.created' && inRoom(chatId)(e))).toHaveLength(4)
    expect(created.map((e) => [e.data.message.seq, e.data.message.content])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
    ])
    expect(created[0]).toMatchObject({
      service: null,
      data: {
        room: { kind: 'chat', id: chatId },
        message: { id: acks[0].message_id, sender_id: users[0].id, type: 'text' },
      },
    })
    expect(created[3].data.message.sender_id).toBe(users[1].id)
    a.close()
  })

  it('should send live-chat messages as message.created of a livechat room', async () => {
    const customer = await registerUser()
    const opened = await call('/api/v1/livechat/sessions', {
      method: 'POST',
      token: customer.access_token,
      json: { subject: 'Webhooks' },
    })
    const session = (await json(opened)).data.id as string
    const res = await call(`/ws/${session}/${customer.id}/customer?token=${customer.access_token}`, {
      headers: { upgrade: 'websocket' },
    })
    res.webSocket!.accept()
    const c = new ChatClient(res.webSocket!)
    c.send({ type: 'send_message', data: { message: 'Hello agent', client_id: 'lc1' } })
    await c.next((f) => f.type === 'message_ack')
    const [event] = await eventsFor((e) => e.type === 'message.created' && inRoom(session)(e))
    expect(event.data).toMatchObject({
      room: { kind: 'livechat', id: session },
      message: { seq: 1, content: 'Hello agent', sender_id: customer.id },
    })
    c.close()
  })

  it('should send Socket.IO room chat as message.created with the room’s service', async () => {
    const staff = await serviceToken()
    const room = `wh-sio-${Date.now().toString(36)}`
    const p = await generateParticipant(staff, room, { service: 43 })
    const s = await sioConnected(sioClient(`/${room}`, { auth: { token: p.token }, query: { room } }))
    const ack = await s.emitWithAck('chat-message', { message: 'over socket.io', client_id: 'sio-1' })
    expect(ack).toMatchObject({ seq: 1 })
    const [event] = await eventsFor((e) => e.type === 'message.created' && inRoom(room)(e))
    expect(event).toMatchObject({
      service: 43,
      data: {
        room: { kind: 'conference', id: room },
        message: { seq: 1, content: 'over socket.io', sender_id: p.identity },
      },
    })
    s.disconnect()
  })
})

describe('presence.joined / presence.left from the room core', () => {
  it('should announce a user once however many connections, skip a quick reconnect, and report the last leave after the grace', async () => {
    const { chatId, users } = await groupWith(2, 'Presence chat')
    const [a, b] = users
    const a1 = await connect(a, chatId)
    const a2 = await connect(a, chatId)
    const b1 = await connect(b, chatId)
    const joined = await eventsFor((e) => e.type === 'presence.joined' && inRoom(chatId)(e), 2)
    expect(joined.map((e) => e.data.user_id).sort()).toEqual([a.id, b.id].sort())
    expect(joined.find((e) => e.data.user_id === a.id)).toMatchObject({
      data: { room: { kind: 'chat', id: chatId }, user_name: a.name },
    })

    // a closes one of two connections (still present); b reconnects within the grace.
    a1.close()
    b1.close()
    // The reconnect comes after the object handled the close (it answered the close frame).
    while (!b1.closed) await sleep(20)
    const b2 = await connect(b, chatId)
    await sleep(GRACE + 1500)
    expect(events((e) => e.type.startsWith('presence.') && inRoom(chatId)(e))).toHaveLength(2)

    // b's last connection leaves: reported once the grace has passed, dated when it closed.
    const closedAt = Date.now()
    b2.close()
    const [left] = await eventsFor((e) => e.type === 'presence.left' && inRoom(chatId)(e))
    expect(left.data).toMatchObject({ user_id: b.id, room: { kind: 'chat', id: chatId } })
    expect(Date.parse(left.data.at)).toBeGreaterThanOrEqual(closedAt - 1000)
    expect(Date.parse(left.data.at)).toBeLessThan(closedAt + 2000)
    expect(Date.parse(left.created_at) - Date.parse(left.data.at)).toBeGreaterThanOrEqual(GRACE - 100)
    a2.close()
  })

  it('should report a leave still pending when the object is evicted, from its alarm', async () => {
    const { chatId, users } = await groupWith(1, 'Evicted chat')
    const a = await connect(users[0], chatId)
    await eventsFor((e) => e.type === 'presence.joined' && inRoom(chatId)(e))
    a.close()
    const stub = chatStub(chatId)
    // The pending leave is stored before the object goes away.
    const until = Date.now() + 5000
    let stored: unknown[] = []
    while (!stored.length && Date.now() < until) {
      stored = await runInDurableObject(stub, (_i, state) => {
        try {
          return state.storage.sql.exec('SELECT user_id FROM presence_leaves').toArray()
        } catch {
          return []
        }
      })
      if (!stored.length) await sleep(50)
    }
    expect(stored).toEqual([{ user_id: users[0].id }])
    await evictDurableObject(stub)
    const [left] = await eventsFor((e) => e.type === 'presence.left' && inRoom(chatId)(e))
    expect(left.data.user_id).toBe(users[0].id)
  })

  it('should report conference presence per LiveKit identity over Socket.IO, whichever object holds the socket', async () => {
    const staff = await serviceToken()
    const room = `wh-pres-${Date.now().toString(36)}`
    const p = await generateParticipant(staff, room, { service: 44 })
    // One socket in the room's own object (hinted), one in a home object following the room.
    const s1 = await sioConnected(sioClient(`/${room}`, { auth: { token: p.token }, query: { room } }))
    const s2 = await sioConnected(sioClient(`/${room}`, { auth: { token: p.token } }))
    const [joined] = await eventsFor((e) => e.type === 'presence.joined' && inRoom(room)(e))
    expect(joined).toMatchObject({
      service: 44,
      data: { room: { kind: 'conference', id: room }, user_id: p.identity },
    })
    // One of two sockets leaves: still present.
    s1.disconnect()
    await sleep(GRACE + 1500)
    expect(events((e) => e.type.startsWith('presence.') && inRoom(room)(e))).toHaveLength(1)
    // The last one leaves: reported once, after the grace.
    s2.disconnect()
    const [left] = await eventsFor((e) => e.type === 'presence.left' && inRoom(room)(e))
    expect(left.data).toMatchObject({ user_id: p.identity, room: { kind: 'conference', id: room } })
    await sleep(300)
    expect(events((e) => e.type.startsWith('presence.') && inRoom(room)(e))).toHaveLength(2)
  })

  it('should report live-chat presence per user over the live-chat protocol', async () => {
    const customer = await registerUser()
    const opened = await call('/api/v1/livechat/sessions', {
      method: 'POST',
      token: customer.access_token,
      json: { subject: 'Presence' },
    })
    const session = (await json(opened)).data.id as string
    const res = await call(`/ws/${session}/${customer.id}/customer?token=${customer.access_token}`, {
      headers: { upgrade: 'websocket' },
    })
    res.webSocket!.accept()
    const c = new ChatClient(res.webSocket!)
    const [joined] = await eventsFor((e) => e.type === 'presence.joined' && inRoom(session)(e))
    expect(joined.data).toMatchObject({ room: { kind: 'livechat', id: session }, user_id: customer.id })
    c.close()
    const [left] = await eventsFor((e) => e.type === 'presence.left' && inRoom(session)(e))
    expect(left.data.user_id).toBe(customer.id)
  })
})
