import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { emitToQueue, emitToRoom } from '../../src/worker/services/realtime'
import { call, json, liveKitToken, mintToken } from '../helpers'
import { RawClient } from '../sio-raw'

let n = 0
const room = () => `host-${Date.now().toString(36)}-${++n}`

describe('Socket.IO host object', () => {
  it('should open with the Engine.IO handshake and configured ping settings', async () => {
    const res = await call('/socket.io/?EIO=4&transport=websocket', { headers: { upgrade: 'websocket' } })
    res.webSocket!.accept()
    const c = new RawClient(res.webSocket!)
    const open = JSON.parse((await c.next((f) => f.startsWith('0'))).slice(1))
    expect(open).toMatchObject({ upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 })
    expect(open.sid).toMatch(/^r.+\..+/)
  })

  it("should not ping a session sooner than an interval after its open, even when its object's alarm runs, and set no auto-response", async () => {
    const r = room()
    const c = await RawClient.open(`&room=${r}`)
    const stub = env.CONFERENCE_ROOM.getByName(r)
    expect(await runInDurableObject(stub, (_i, state) => state.getWebSocketAutoResponse())).toBeNull()
    // The session's first ping is due 25 s after its open (its own slot, heartbeat.ts), not at the alarm.
    await runDurableObjectAlarm(stub)
    c.send('40')
    await c.next((f) => f.startsWith('40{'))
    expect(c.frames.filter((f) => f === '2')).toEqual([])
    expect(await runInDurableObject(stub, (_i, state) => state.getWebSockets().length)).toBe(1)
  })

  it('should close the connection on a malformed packet, as socket.io does, and keep error events for bad input in valid packets', async () => {
    const r = room()
    const c = await RawClient.open(`&room=${r}`)
    expect(await c.join(`/${r}`, { token: await liveKitToken(r) })).toMatch(/^40\//)
    c.send(`42/${r},1["no-such-event"]`)
    expect(await c.next((f) => f.startsWith(`43/${r},1`))).toMatch(/Unknown event/)
    c.send(`42/${r},2["chat-message","ok"]`)
    expect(await c.next((f) => f.startsWith(`43/${r},2`))).toContain('"seq":1')
    for (const bad of [`42/${r},{not json`, '9', `42/${r},12345678901234567890["chat-message","x"]`]) {
      const d = await RawClient.open(`&room=${r}`)
      expect(await d.join(`/${r}`, { token: await liveKitToken(r) })).toMatch(/^40\//)
      d.send(bad)
      expect(await d.closing()).toBe(1002)
    }
  })

  it('should admit namespaces all or nothing: 50 on one connection, each refused one gets connect_error, every join announced is paired with its leave', async () => {
    const rooms = Array.from({ length: 50 }, () => room())
    const watchers = await Promise.all(
      rooms.map(async (r) => {
        const w = await RawClient.open(`&room=${r}`)
        expect(await w.join(`/${r}`, { token: await liveKitToken(r, `watcher-${r}`) })).toMatch(/^40\//)
        return w
      }),
    )
    const ghost = await RawClient.open()
    const tokens = await Promise.all(rooms.map((r) => liveKitToken(r, 'ghost')))
    rooms.forEach((r, i) => ghost.send(`40/${r},${JSON.stringify({ token: tokens[i] })}`))
    const answers = await Promise.all(
      rooms.map((r) => ghost.next((f) => f.startsWith(`40/${r},`) || f.startsWith(`44/${r},`), 20_000)),
    )
    const refused = answers.filter((a) => a.startsWith('44'))
    expect(answers.length - refused.length).toBeGreaterThan(0)
    expect(refused.length).toBeGreaterThan(0)
    for (const a of refused) expect(a).toMatch(/Too many namespaces on one connection/)
    ghost.ws.close(1000)
    const seen = (w: RawClient, event: string) =>
      w.frames.filter((f) => typeof f === 'string' && f.includes(`"${event}"`) && f.includes('"ghost"'))
        .length
    const end = Date.now() + 10_000
    while (watchers.some((w) => seen(w, 'user-connection') !== seen(w, 'user-disconnect'))) {
      if (Date.now() > end) throw new Error('a user-connection was never followed by its user-disconnect')
      await new Promise((res) => setTimeout(res, 50))
    }
    rooms.forEach((_r, i) => {
      expect(seen(watchers[i]!, 'user-connection')).toBe(answers[i]!.startsWith('40') ? 1 : 0)
    })
  })

  it('should keep the connection and its namespaces when a CONNECT is refused for room', async () => {
    const c = await RawClient.open()
    const joined: string[] = []
    let refusal = ''
    for (let i = 0; i < 21 && !refusal; i++) {
      const r = room()
      const answer = await c.join(`/${r}`, { token: await liveKitToken(r, 'x') })
      if (answer.startsWith('44')) refusal = answer
      else joined.push(r)
    }
    expect(refusal).toMatch(/Too many namespaces on one connection/)
    expect(refusal).toMatch(/"code":"(payload_too_large|rate_limited)"/)
    const r = joined[0]!
    c.send(`42/${r},7["chat-message","still here"]`)
    expect(await c.next((f) => f.startsWith(`43/${r},7`))).toContain('"seq":1')
    expect(c.closed).toBeUndefined()
  })

  it('should store a chat message once per sender and client_id, and refuse binary attachments', async () => {
    const r = room()
    const [a, b] = [await RawClient.open(`&room=${r}`), await RawClient.open(`&room=${r}`)]
    await a.join(`/${r}`, { token: await liveKitToken(r, 'alice') })
    await b.join(`/${r}`, { token: await liveKitToken(r, 'bob') })
    a.send(`42/${r},1["chat-message",{"message":"hi","client_id":"k1"}]`)
    expect(await a.next((f) => f.startsWith(`43/${r},1`))).toContain('"seq":1,"duplicate":false')
    a.send(`42/${r},2["chat-message",{"message":"hi again","client_id":"k1"}]`)
    expect(await a.next((f) => f.startsWith(`43/${r},2`))).toContain('"seq":1,"duplicate":true')
    // Another sender's client ids are its own.
    b.send(`42/${r},3["chat-message",{"message":"mine","client_id":"k1"}]`)
    expect(await b.next((f) => f.startsWith(`43/${r},3`))).toContain('"seq":2,"duplicate":false')
    a.send(`451-/${r},4["chat-message",{"message":"pic","file":{"_placeholder":true,"num":0}}]`)
    a.ws.send(new Uint8Array([1, 2, 3]).buffer)
    expect(await a.next((f) => f.startsWith(`43/${r},4`))).toMatch(/binary attachments are not supported/)
    const seen = b.frames.filter((f) => typeof f === 'string' && f.includes('"chat-message"'))
    expect(seen.map((f) => JSON.parse((f as string).slice((f as string).indexOf('[')))[1].seq)).toEqual([
      1, 2,
    ])
  })

  it('should bring events raised outside any socket to the room (emitToRoom)', async () => {
    const r = room()
    const c = await RawClient.open()
    await c.join(`/${r}`, { token: await liveKitToken(r) })
    await emitToRoom(env, r, 'room-record', { status: 'recording' })
    expect(await c.next((f) => f.includes('room-record'))).toBe(
      `42/${r},["room-record",{"status":"recording"}]`,
    )
  })

  it('should bring queue events to /queue sockets (emitToQueue) and refuse non-staff', async () => {
    const c = await RawClient.open()
    expect(await c.join('/queue', { token: await mintToken('member') })).toMatch(/^44\/queue,.*staff/)
    expect(await c.join('/queue', { token: await mintToken('agent') })).toMatch(/^40\/queue,/)
    await emitToQueue(env, 'queue', 'newcase', { id: 'case-1' })
    expect(await c.next((f) => f.includes('newcase'))).toBe('42/queue,["newcase",{"id":"case-1"}]')
  })

  it('should validate /mobile task ids and bring a car location to its room as agentCar', async () => {
    const r = room()
    const task = `task-${r}`
    await env.DB.prepare('INSERT INTO car_tasks (id, room, car_no) VALUES (?, ?, ?)')
      .bind(task, r, 'AMB-7')
      .run()
    const watcher = await RawClient.open(`&room=${r}`)
    await watcher.join(`/${r}`, { token: await liveKitToken(r) })
    const car = await RawClient.open()
    expect(await car.join('/mobile', { taskId: 'nope' })).toMatch(/^44\/mobile,.*Task nope not found/)
    expect(await car.join('/mobile', { taskId: task })).toMatch(/^40\/mobile,/)
    car.send('42/mobile,5["location",{"lat":"x"}]')
    expect(await car.next((f) => f.startsWith('43/mobile,5'))).toContain('validation_failed')
    car.send('42/mobile,6["location",{"lat":13.75,"lng":100.5,"speed":40}]')
    expect(await car.next((f) => f.startsWith('43/mobile,6'))).toBe('43/mobile,6[{"ok":true}]')
    const seen = JSON.parse((await watcher.next((f) => f.includes('agentCar'))).slice(`42/${r},`.length))
    expect(seen[1]).toMatchObject({ taskId: task, carNo: 'AMB-7', lat: 13.75, lng: 100.5, speed: 40 })
    const pos = await env.DB.prepare('SELECT lat, lng FROM car_positions WHERE task_id = ?')
      .bind(task)
      .first()
    expect(pos).toEqual({ lat: 13.75, lng: 100.5 })
  })
})

describe('GET /chat/history and /chat/notification', () => {
  it('should page the room chat log written through Socket.IO', async () => {
    const r = room()
    const token = await liveKitToken(r)
    const c = await RawClient.open(`&room=${r}`)
    await c.join(`/${r}`, { token })
    for (let i = 1; i <= 3; i++) {
      c.send(`42/${r},${i}["chat-message",{"message":"m${i}"}]`)
      await c.next((f) => f.startsWith(`43/${r},${i}`))
    }
    const staff = await mintToken('agent')
    const page = await json(await call(`/chat/history?room=${r}&limit=2`, { token: staff }))
    expect(page.status).toBe('SUCCESS')
    expect(page.data.messages.map((m: any) => m.message)).toEqual(['m2', 'm3'])
    expect(page.data.next_before).toBe(2)
    const older = await json(await call(`/chat/history?room=${r}&before=2`, { token }))
    expect(older.data.messages.map((m: any) => m.seq)).toEqual([1])
    const note = await json(await call(`/chat/notification?room=${r}&since=1`, { token: staff }))
    expect(note.data).toMatchObject({ room: r, last_seq: 3, unread: 2, last_message: { message: 'm3' } })
  })

  it('should refuse a missing token, a member token and another room’s LiveKit token', async () => {
    const r = room()
    expect((await call(`/chat/history?room=${r}`)).status).toBe(401)
    expect((await call(`/chat/history?room=${r}`, { token: await mintToken('member') })).status).toBe(403)
    expect((await call(`/chat/history?room=${r}`, { token: await liveKitToken('elsewhere') })).status).toBe(
      403,
    )
    const bad = await call(`/chat/history?room=bad%20name`, { token: await mintToken('admin') })
    expect(bad.status).toBe(400)
  })
})
