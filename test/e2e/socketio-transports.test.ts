import { afterEach, describe, expect, it } from 'vitest'
import {
  baseUrl,
  member,
  client,
  closeAll,
  collect,
  connected,
  liveKitToken,
  next,
  staffToken,
  uniqueRoom,
  until,
} from './helpers'

afterEach(closeAll)

describe('Socket.IO transports', () => {
  it('should work with default options: polling first, then upgrade to websocket', async () => {
    const room = uniqueRoom()
    const token = await liveKitToken(room)
    const s = client(`/${room}`, { auth: { token } })
    // What the engine opened with, and what it upgraded to (the upgrade may come at any moment
    // after the open, so the transport is recorded by events, not read later).
    let openedWith: string | undefined
    let upgradedTo: string | undefined
    s.io.on('open', () => {
      openedWith = s.io.engine.transport.name
      s.io.engine.on('upgrade', (t: { name: string }) => (upgradedTo = t.name))
    })
    await connected(s)
    expect(openedWith).toBe('polling')
    const first = await s.emitWithAck('chat-message', 'first')
    expect(first.seq).toBe(1)
    await until(() => upgradedTo === 'websocket' && s.io.engine.transport.name === 'websocket')
    const second = await s.emitWithAck('chat-message', 'over websocket')
    expect(second.seq).toBe(2)
  })

  it('should deliver between a polling-only client and a websocket client', async () => {
    const room = uniqueRoom()
    const p = await member(room, undefined, { transports: ['polling'] })
    const w = await member(room)
    const atP = next(p, 'chat-message')
    const atW = next(w, 'chat-message')
    await w.emitWithAck('chat-message', 'hi polling')
    expect((await atP).message).toBe('hi polling')
    expect((await atW).message).toBe('hi polling')
    const back = next(w, 'chat-message')
    await p.emitWithAck('chat-message', 'hi websocket')
    expect((await back).message).toBe('hi websocket')
  })

  it('should round-trip binary attachments over websocket and polling', async () => {
    const room = uniqueRoom()
    const a = await member(room)
    const b = await member(room, undefined, { transports: ['polling'] })
    const c = await member(room)
    const atB = next(b, 'agentCar')
    const atC = next(c, 'agentCar')
    const bytes = Buffer.from([0, 1, 2, 250, 255])
    a.emit('agentCar', { carNo: 'A1', photo: bytes, parts: [Buffer.from('x')] })
    for (const got of [await atB, await atC]) {
      expect(got.carNo).toBe('A1')
      expect(Buffer.from(got.photo)).toEqual(bytes)
      expect(Buffer.from(got.parts[0]).toString()).toBe('x')
    }
    // and from a polling client (binary as base64 records)
    const atA = next(a, 'agentCar')
    b.emit('agentCar', { photo: Buffer.from([7, 7]) })
    expect(Buffer.from((await atA).photo)).toEqual(Buffer.from([7, 7]))
  })

  it('should multiplex a room and /notification over one connection', async () => {
    const room = uniqueRoom()
    const r = client(`/${room}`, { transports: ['websocket'], auth: { token: await liveKitToken(room) } })
    const n = client('/notification', { transports: ['websocket'], auth: { token: await staffToken() } })
    await Promise.all([connected(r), connected(n)])
    expect(n.io).toBe(r.io) // one Manager, one Engine.IO connection
    const all = next(n, 'all')
    const chat = next(r, 'chat-message')
    n.emit('all')
    await r.emitWithAck('chat-message', 'both')
    expect(Array.isArray(await all)).toBe(true)
    expect((await chat).message).toBe('both')
  })

  it('should refuse /notification without a token unless NOTIFICATION_PUBLIC', async () => {
    const n = client('/notification', { transports: ['websocket'] })
    await expect(connected(n)).rejects.toThrow(/auth\.token is required/)
  })

  it('should refuse an unknown namespace shape', async () => {
    const s = client('/bad~name', { transports: ['websocket'] })
    await expect(connected(s)).rejects.toThrow(/Invalid namespace/)
  })

  it('should keep a room client connected past several ping intervals (pings from alarms)', async () => {
    const room = uniqueRoom()
    const token = await liveKitToken(room)
    // query `room` puts the socket in the room's own object
    const s = await connected(
      client(`/${room}`, { transports: ['websocket'], query: { room }, auth: { token } }),
    )
    const pings = collect(s.io.engine as any, 'ping')
    const drops = collect(s, 'disconnect')
    const sid = s.io.engine.id
    await until(() => pings.length >= 5, 8000) // interval 400 ms
    expect(drops).toEqual([])
    expect(s.io.engine.id).toBe(sid)
    expect((await s.emitWithAck('chat-message', 'still here')).seq).toBe(1)
  })

  it('should answer unknown sessions and versions with Engine.IO errors', async () => {
    const bad = await fetch(`${baseUrl()}/socket.io/?EIO=4&transport=polling&sid=rAAA.zzz`)
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({ code: 1, message: 'Session ID unknown' })
    const v3 = await fetch(`${baseUrl()}/socket.io/?EIO=3&transport=polling`)
    expect(v3.status).toBe(400)
    expect(((await v3.json()) as { code: number }).code).toBe(5)
  })
})

describe('Socket.IO chat resume and golden path', () => {
  it('should recover missed chat messages on reconnect with last_seq', async () => {
    const room = uniqueRoom()
    const a = await member(room, 'a')
    const b = await member(room, 'b')
    await b.emitWithAck('chat-message', 'one')
    await b.emitWithAck('chat-message', 'two')
    a.disconnect()
    for (const m of ['three', 'four', 'five']) await b.emitWithAck('chat-message', m)
    const again = client(`/${room}`, {
      transports: ['websocket'],
      forceNew: true,
      auth: { token: await liveKitToken(room, 'a'), last_seq: 2 },
    })
    const got = collect<{ seq: number; message: string }>(again, 'chat-message')
    await connected(again)
    await until(() => got.length === 3)
    expect(got.map((m) => [m.seq, m.message])).toEqual([
      [3, 'three'],
      [4, 'four'],
      [5, 'five'],
    ])
  })

  it('should recover missed chat messages for an unchanged client (Socket.IO pid and offset)', async () => {
    const room = uniqueRoom()
    const a = await connected(
      client(`/${room}`, {
        forceNew: true,
        reconnection: true,
        reconnectionDelay: 300,
        reconnectionDelayMax: 300,
        auth: { token: await liveKitToken(room, 'a') },
      }),
    )
    const b = await member(room, 'b')
    const got = collect<{ seq: number; message: string }>(a, 'chat-message')
    await b.emitWithAck('chat-message', 'one')
    await until(() => got.length === 1)
    const reconnected = next(a, 'connect')
    a.io.engine.close() // the transport drops; the Manager reconnects on its own
    await b.emitWithAck('chat-message', 'two')
    await b.emitWithAck('chat-message', 'three')
    await reconnected
    await until(() => got.length === 3)
    expect(got.map((m) => m.message)).toEqual(['one', 'two', 'three'])
    expect(a.recovered).toBe(true)
  })

  it('should accept the token POST /user/generate answers', async () => {
    const room = uniqueRoom('golden')
    const res = await fetch(`${baseUrl()}/user/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await staffToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ room, userName: 'Dispatcher', userType: 'agent' }),
    })
    expect(res.status).toBe(200)
    const { data } = (await res.json()) as { data: { room: string; identity: string; token: string } }
    expect(data.room).toBe(room)
    const s = await connected(client(`/${data.room}`, { auth: { token: data.token } }))
    const echo = next(s, 'chat-message')
    await s.emitWithAck('chat-message', 'golden')
    expect(await echo).toMatchObject({
      message: 'golden',
      sender: { identity: data.identity, name: 'Dispatcher' },
    })
  })
})
