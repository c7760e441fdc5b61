import { env } from 'cloudflare:workers'
import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import type { Socket } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { refFromSid } from '../../src/objects/socketio/refs'
import { call, json, mintToken } from '../helpers'
import { sioClient, sioConnected } from '../sio-client'

// Runs in the `workers-timers` project: SOCKETIO_ACK_TIMEOUT 500 ms.
const ACK_TIMEOUT = 500

const open: Socket[] = []
afterEach(async () => {
  for (const s of open.splice(0)) s.disconnect()
  await new Promise((r) => setTimeout(r, 100)) // let the objects run their disconnect handlers
})

let n = 0
const uid = (tag: string) => `${tag}-${Date.now().toString(36)}-${++n}`

async function notificationSocket(token: string, query?: Record<string, string>): Promise<Socket> {
  const s = sioClient('/notification', { auth: { token }, ...(query ? { query } : {}) })
  open.push(s)
  return sioConnected(s)
}

/** A notification created over REST by staff, for one user or (no `userId`) the staff feed. */
async function notify(title: string, userId?: string): Promise<{ id: string }> {
  // A user's channel is for a user that exists (else 404).
  if (userId)
    await env.DB.prepare("INSERT OR IGNORE INTO users (id, email, name, password_hash) VALUES (?, ?, ?, 'x')")
      .bind(userId, `${userId}@test.local`, userId)
      .run()
  const res = await call('/api/v1/notifications', {
    method: 'POST',
    token: await mintToken('admin'),
    json: { title, ...(userId ? { user_id: userId } : {}) },
  })
  expect(res.status).toBe(201)
  return (await json(res)).data
}

async function delivered(id: string): Promise<boolean> {
  const res = await call(`/api/v1/notifications/${id}`, { token: await mintToken('admin') })
  return (await json(res)).data.delivered
}

/** The next `new` on `s`: its notification and the ack callback socket.io-client hands the handler. */
function nextNew(s: Socket, timeoutMs = 5000): Promise<{ note: any; ack?: (...a: unknown[]) => void }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout waiting for new')), timeoutMs)
    s.once('new', (note: unknown, ack?: (...a: unknown[]) => void) => {
      clearTimeout(t)
      resolve({ note, ack })
    })
  })
}

function nextError(s: Socket): Promise<{ code: string; message: string }> {
  return new Promise((resolve) => s.once('error', resolve))
}

async function until(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The object holding `s`'s session, and the acks it waits for. */
function holder(s: Socket) {
  const ref = refFromSid(s.io.engine.id)!
  const stub = env.CONFERENCE_ROOM.getByName(ref.name)
  return {
    stub,
    pending: () =>
      runInDurableObject(stub, (_i, state) =>
        state.storage.sql.exec('SELECT nsp, id, purpose, ctx FROM sio_acks').toArray(),
      ),
  }
}

describe('server-initiated acknowledgements (/notification new)', () => {
  it('should mark a notification delivered when the client acks new, with the pending ack surviving eviction', async () => {
    const user = uid('u')
    const s = await notificationSocket(await mintToken('member', user))
    const got = nextNew(s)
    const note = await notify('Your case was assigned', user)
    const { note: sent, ack } = await got
    expect(sent).toMatchObject({ id: note.id, channel: `user:${user}`, delivered: false })
    expect(typeof ack).toBe('function')
    const h = holder(s)
    expect(await h.pending()).toEqual([
      {
        nsp: '/notification',
        id: expect.any(Number),
        purpose: 'delivered',
        ctx: JSON.stringify({ id: note.id }),
      },
    ])
    expect(await delivered(note.id)).toBe(false)
    // The holding object is evicted before the client answers: the pending ack is in its storage.
    await evictDurableObject(h.stub)
    ack!({ ok: true })
    await until(() => delivered(note.id), 'delivered')
    expect(await h.pending()).toEqual([])
    expect(s.connected).toBe(true)
  })

  it('should leave an unacknowledged notification undelivered after the timeout, answer the late ack with an error, and re-send it on reconnect', async () => {
    const user = uid('u')
    const token = await mintToken('member', user)
    const s = await notificationSocket(token)
    const got = nextNew(s)
    const note = await notify('Nobody acks this', user)
    const { ack } = await got
    const h = holder(s)
    await new Promise((r) => setTimeout(r, ACK_TIMEOUT + 300))
    // The alarm dropped the expired ack; the notification stays undelivered.
    await until(async () => (await h.pending()).length === 0, 'expiry')
    expect(await delivered(note.id)).toBe(false)
    const late = nextError(s)
    ack!()
    expect(await late).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/Unknown or expired ack id \d+/),
    })
    expect(await delivered(note.id)).toBe(false)
    // A new connection gets every undelivered notification of its channels again, with an ack request.
    s.disconnect()
    const again = sioClient('/notification', { auth: { token } })
    open.push(again)
    const resent = nextNew(again)
    await sioConnected(again)
    const { note: second, ack: ack2 } = await resent
    expect(second).toMatchObject({ id: note.id, delivered: false })
    ack2!()
    await until(() => delivered(note.id), 'delivered after re-send')
  })

  it('should answer an unknown or missing ack id with an error event and keep the session, and close it on a malformed ACK', async () => {
    const s = await notificationSocket(await mintToken('member', uid('u')))
    const unknown = nextError(s)
    s.io.engine.write('3/notification,987654["x"]')
    expect(await unknown).toMatchObject({ code: 'bad_request', message: 'Unknown or expired ack id 987654' })
    const missing = nextError(s)
    s.io.engine.write('3/notification,["x"]')
    expect(await missing).toMatchObject({ code: 'bad_request', message: 'ACK without an id' })
    expect(await s.emitWithAck('unread')).toEqual([])
    expect(s.connected).toBe(true)
    // A packet the protocol does not allow closes the connection (socket.io: "parse error").
    const gone = new Promise((resolve) => s.once('disconnect', resolve))
    s.io.engine.write('3/notification,5{"not":"an array"}')
    expect(await gone).toBe('transport close')
  })

  it('should accept a binary acknowledgement (BINARY_ACK with attachments)', async () => {
    const user = uid('u')
    const s = await notificationSocket(await mintToken('member', user))
    const got = nextNew(s)
    const note = await notify('Binary receipt', user)
    const { ack } = await got
    ack!({ receipt: new Uint8Array([1, 2, 3]).buffer, parts: [new Uint8Array([9]).buffer] })
    await until(() => delivered(note.id), 'delivered by a binary ack')
    expect(s.connected).toBe(true)
  })
})

describe('/notification channels', () => {
  it('should give each socket its own user channel, and the staff feed to staff only, even in one holding object', async () => {
    const [alice, bob, staff] = [uid('alice'), uid('bob'), uid('staff')]
    // Alice and Bob share one holding object (the same room hint): deliveries are filtered per socket.
    const room = uid('notes')
    const a = await notificationSocket(await mintToken('member', alice), { room })
    const b = await notificationSocket(await mintToken('member', bob), { room })
    expect(refFromSid(a.io.engine.id)).toEqual(refFromSid(b.io.engine.id))
    const s = await notificationSocket(await mintToken('agent', staff))
    const seen: Record<string, string[]> = { a: [], b: [], s: [] }
    for (const [k, sock] of [
      ['a', a],
      ['b', b],
      ['s', s],
    ] as const)
      sock.on('new', (note: { title: string }, ack: () => void) => (seen[k].push(note.title), ack()))

    await notify('for alice', alice)
    await notify('for staff')
    await notify('for the agent', staff)
    await until(() => seen.a.length === 1 && seen.s.length === 2, 'deliveries')
    await new Promise((r) => setTimeout(r, 200)) // nothing else arrives
    expect(seen).toEqual({ a: ['for alice'], b: [], s: ['for staff', 'for the agent'] })

    // all / unread / read cover the socket's own channels only.
    const mine = (await a.emitWithAck('all')) as { title: string; id: string }[]
    expect(mine.map((x) => x.title)).toEqual(['for alice'])
    expect(((await s.emitWithAck('unread')) as { title: string }[]).map((x) => x.title).sort()).toEqual([
      'for staff',
      'for the agent',
    ])
    const denied = (await b.emitWithAck('read', { id: mine[0].id })) as { error: { code: string } }
    expect(denied.error.code).toBe('not_found')
    const read = (await a.emitWithAck('read', { id: mine[0].id })) as { read: boolean; delivered: boolean }
    expect(read).toMatchObject({ read: true, delivered: true })
  })

  it('should refuse a connection without a token', async () => {
    const s = sioClient('/notification')
    open.push(s)
    await expect(sioConnected(s)).rejects.toMatchObject({ message: 'auth.token is required' })
  })
})
