import { evictDurableObject } from 'cloudflare:test'
import { afterEach, describe, expect, it } from 'vitest'
import { call, liveKitToken } from '../helpers'
import { PROTOCOLS, until, type Answer, type ContractClient } from './contract-drivers'
import { conferenceRoomStub } from './test-classes'

/**
 * The message-room contract (src/objects/room/core.ts), run unchanged against every chat protocol
 * and transport: the JSON protocol, live chat, and the Socket.IO room namespace over WebSocket
 * and over long-polling. A protocol that behaves differently fails the same test.
 */
const acked = (a: Answer): a is Extract<Answer, { seq: number }> => 'seq' in a
/** Tokens a bucket of `per10s` can refill during `ms` (it refills continuously), plus one for rounding. */
const earned = (per10s: number, ms: number) => Math.floor((ms / 10_000) * per10s) + 1

describe.each(PROTOCOLS)('message-room contract: $name', (protocol) => {
  // Polling clients' last requests settle before the test ends (a waiting GET is released at close).
  afterEach(() => new Promise((r) => setTimeout(r, 100)))

  // 20 senders (4 over in-process long-polling: see maxConnections), 5 messages each at once.
  const senderCount = Math.min(20, protocol.maxConnections - 1)
  it(`should give ${senderCount} concurrent senders one identical gap-free order, each sender’s messages in its order`, async () => {
    const room = await protocol.open(senderCount)
    const watcher = await room.connect(0)
    const senders: ContractClient[] = []
    for (let i = 0; i < senderCount; i++) senders.push(await room.connect(i))
    const answers = await Promise.all(
      senders.map((s, i) => Promise.all([0, 1, 2, 3, 4].map((k) => s.send(`s${i}-m${k}`)))),
    )
    expect(answers.flat().every(acked)).toBe(true)
    const total = senderCount * 5
    await until(
      () => watcher.messages.length >= total && senders.every((s) => s.messages.length >= total),
      'every message everywhere',
    )
    const order = watcher.messages.map((m) => m.content)
    expect(watcher.messages.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    for (const s of senders) expect(s.messages.map((m) => m.content)).toEqual(order)
    for (let i = 0; i < senderCount; i++) {
      const mine = order.filter((c) => c.startsWith(`s${i}-`))
      expect(mine).toEqual([0, 1, 2, 3, 4].map((k) => `s${i}-m${k}`))
    }
    for (const c of [watcher, ...senders]) c.close()
  })

  it('should store a repeated client_id once and ack the repeat as a duplicate of the first', async () => {
    const room = await protocol.open(2)
    const [a, b] = [await room.connect(0), await room.connect(1)]
    const first = await a.send('once', 'same-id')
    const again = await a.send('once', 'same-id')
    expect(first).toMatchObject({ duplicate: false, seq: 1 })
    expect(again).toEqual({ ...first, duplicate: true })
    await until(() => b.messages.length === 1, 'the message')
    await new Promise((r) => setTimeout(r, 100))
    expect(b.messages).toHaveLength(1)
    expect(await room.stored()).toBe(1)
    a.close()
    b.close()
  })

  it.runIf(protocol.evictable)(
    'should ack only what is stored: an acked message survives eviction and is replayed on resume',
    async () => {
      const room = await protocol.open(2)
      const a = await room.connect(0)
      const ack = await a.send('durable')
      expect(acked(ack)).toBe(true)
      await a.close()
      await evictDurableObject(room.stub())
      const later = await room.connect(1, 0)
      await until(() => later.messages.length === 1, 'the replayed message')
      expect(later.messages[0]).toMatchObject({ seq: (ack as { seq: number }).seq, content: 'durable' })
      later.close()
    },
  )

  it('should replay at most the replay limit on a resume, then say where to page on', async () => {
    const room = await protocol.open(1)
    await room.configure({ room: { replayLimit: 3 } })
    const a = await room.connect(0)
    for (let i = 1; i <= 5; i++) expect(acked(await a.send(`m${i}`))).toBe(true)
    const resumed = await room.connect(0, 0)
    await until(() => resumed.errors.some((e) => e.code === 'conflict'), 'the replay limit error')
    expect(resumed.messages.map((m) => m.seq)).toEqual([1, 2, 3])
    expect(resumed.errors.find((e) => e.code === 'conflict')).toMatchObject({ next_since: 3 })
    const partial = await room.connect(0, 3)
    await until(() => partial.messages.length === 2, 'the rest')
    expect(partial.messages.map((m) => m.seq)).toEqual([4, 5])
    for (const c of [a, resumed, partial]) c.close()
  })

  it.runIf(protocol.typing)(
    'should tell others about typing and end it on its own after the time to live',
    async () => {
      const room = await protocol.open(2)
      await room.configure({ room: { typingTtlMs: 200 } })
      const [a, b] = [await room.connect(0), await room.connect(1)]
      a.setTyping(true)
      await until(() => b.typing.some((t) => t.typing), 'typing on')
      await until(() => b.typing.some((t) => !t.typing), 'typing to expire', 5000)
      expect(b.typing.map((t) => t.typing)).toEqual([true, false])
      expect(a.typing).toEqual([])
      a.close()
      b.close()
    },
  )

  it.runIf(protocol.files)(
    'should carry an image message’s type and files to every member, and refuse a file of another room or no file, storing nothing',
    async () => {
      const room = await protocol.open(2)
      const { own, foreign } = await room.upload!()
      const [a, b] = [await room.connect(0), await room.connect(1)]
      expect(await a.sendFiles!('image', [foreign])).toEqual({ error: 'forbidden' })
      expect(await a.sendFiles!('image', [`missing-${own}`])).toEqual({ error: 'not_found' })
      expect(await a.sendFiles!('file', [])).toEqual({ error: 'validation_failed' })
      const ack = await a.sendFiles!('image', [own], 'look')
      expect(acked(ack)).toBe(true)
      expect(acked(await a.send('after'))).toBe(true)
      await until(() => b.messages.length === 2, 'both messages')
      expect(b.messages[0]).toMatchObject({ seq: 1, content: 'look', type: 'image', files: [own] })
      expect(b.messages[1]).toMatchObject({ seq: 2, content: 'after', type: 'text', files: [] })
      expect(await room.stored()).toBe(2)
      a.close()
      b.close()
    },
  )

  it('should limit the message rate per connection, ack exactly what it stored and keep the connection', async () => {
    const room = await protocol.open(2)
    await room.configure({ limits: { messagesPer10s: 10 } })
    const [a, b] = [await room.connect(0), await room.connect(1)]
    const started = Date.now()
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => a.send(`burst ${i}`)))
    const ok = answers.filter(acked)
    const budget = 10 - protocol.setupMessages
    expect(ok.length).toBeGreaterThanOrEqual(budget)
    expect(ok.length).toBeLessThanOrEqual(budget + earned(10, Date.now() - started))
    expect(
      answers.filter((x) => !acked(x)).every((x) => (x as { error: string }).error === 'rate_limited'),
    ).toBe(true)
    await until(() => b.messages.length === ok.length, 'every acked message delivered')
    expect(b.messages.map((m) => m.seq)).toEqual(ok.map((x) => x.seq))
    expect(await room.stored()).toBe(ok.length)
    a.close()
    b.close()
  })

  it('should refuse a message over the size limit with an error, store nothing, and keep working', async () => {
    const room = await protocol.open(2)
    await room.configure({ limits: { maxMessageBytes: 1024 }, room: { maxMessageBytes: 1024 } })
    const [a, b] = [await room.connect(0), await room.connect(1)]
    expect(await a.send('x'.repeat(2000))).toEqual({ error: 'payload_too_large' })
    expect(acked(await a.send('small'))).toBe(true)
    await until(() => b.messages.length === 1, 'the small message')
    expect(b.messages.map((m) => m.content)).toEqual(['small'])
    expect(await room.stored()).toBe(1)
    a.close()
    b.close()
  })

  it('should answer a frame it cannot read with an error and keep the connection working', async () => {
    const room = await protocol.open(2)
    const [a, b] = [await room.connect(0), await room.connect(1)]
    a.sendBad()
    await until(() => a.errors.length > 0, 'an error')
    expect(['bad_request', 'validation_failed']).toContain(a.errors[0].code)
    expect(acked(await a.send('still here'))).toBe(true)
    await until(() => b.messages.length === 1, 'the message')
    a.close()
    b.close()
  })
})

describe('per-message limits on both Socket.IO transports', () => {
  const burst = (room: string) =>
    Array.from({ length: 200 }, (_, i) => `42/${room},${i + 1}["chat-message",{"message":"burst ${i}"}]`)

  async function roomWithToken() {
    const room = `burst-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    return { room, token: await liveKitToken(room, 'attacker') }
  }
  const stored = async (room: string) => (await conferenceRoomStub(room).chatSummary(0, room)).last_seq

  it('should limit 200 chat-message packets in one long-polling POST exactly as 200 WebSocket frames', async () => {
    // WebSocket: one frame per packet.
    const ws = await roomWithToken()
    const res = await call(`/socket.io/?EIO=4&transport=websocket&room=${ws.room}`, {
      headers: { upgrade: 'websocket' },
    })
    const sock = res.webSocket!
    sock.accept()
    const frames: string[] = []
    sock.addEventListener('message', (e) => frames.push(e.data as string))
    sock.send(`40/${ws.room},${JSON.stringify({ token: ws.token })}`)
    await until(() => frames.some((f) => f.startsWith(`40/${ws.room},`)), 'CONNECT reply')
    let started = Date.now()
    for (const p of burst(ws.room)) sock.send(p)
    await until(() => frames.filter((f) => f.startsWith(`43/${ws.room},`)).length === 200, '200 acks')
    const wsMs = Date.now() - started
    const overWs = await stored(ws.room)
    sock.close()

    // Long-polling: the same 200 packets in one POST.
    const lp = await roomWithToken()
    const base = `/socket.io/?EIO=4&transport=polling&room=${lp.room}`
    const open = await (await call(base)).text()
    const sid = JSON.parse(open.slice(1)).sid as string
    const post = (body: string) =>
      call(`${base}&sid=${sid}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } })
    expect((await post(`40/${lp.room},${JSON.stringify({ token: lp.token })}`)).status).toBe(200)
    expect(await (await call(`${base}&sid=${sid}`)).text()).toContain(`40/${lp.room},`)
    started = Date.now()
    expect((await post(burst(lp.room).join('\x1e'))).status).toBe(200)
    const pollingMs = Date.now() - started
    const answers = (await (await call(`${base}&sid=${sid}`)).text()).split('\x1e')
    const acks = answers.filter((p) => p.startsWith(`43/${lp.room},`))
    const overPolling = await stored(lp.room)
    await post('1')

    // 50 messages per 10 s, one of them the CONNECT: 49 stored either way (plus what the bucket
    // refilled while the burst was processed), every packet answered — stored or refused.
    for (const [n, ms] of [
      [overWs, wsMs],
      [overPolling, pollingMs],
    ]) {
      expect(n).toBeGreaterThanOrEqual(49)
      expect(n).toBeLessThanOrEqual(49 + earned(50, ms))
    }
    expect(acks).toHaveLength(200)
    expect(acks.filter((a) => a.includes('rate_limited'))).toHaveLength(200 - overPolling)
  })
})
