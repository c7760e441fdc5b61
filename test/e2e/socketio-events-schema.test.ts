import type { Socket } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { SOCKET_IO_NAMESPACES, type SocketIoEvent } from '../../src/worker/schemas/socketio-events'
import { baseUrl, client, closeAll, connected, member, next, staffToken, uniqueRoom, until } from './helpers'

// The Socket.IO events in /asyncapi.json (schemas/socketio-events.ts) are written beside the
// namespaces (src/objects/socketio/); here real events from the server, and real acks, parse
// against them.
afterEach(closeAll)

const namespace = (path: string) => SOCKET_IO_NAMESPACES.find((n) => n.path === path)!
const schemaOf = (events: SocketIoEvent[], name: string, from: 'server' | 'ack') => {
  const e =
    from === 'ack'
      ? events.find((x) => x.name === name && x.from === 'client' && x.ack)
      : events.find((x) => x.name === name && x.from !== 'client')
  if (!e) throw new Error(`no ${from} schema for ${name}`)
  return from === 'ack' ? e.ack! : e.payload
}

/** Records every event a socket receives (name and first argument). */
function record(s: Socket) {
  const got: { name: string; arg: unknown }[] = []
  s.onAny((name: string, arg: unknown) => got.push({ name, arg }))
  return got
}

/** The issues of each received event against its documented schema (empty when all conform). */
function problems(events: SocketIoEvent[], got: { name: string; arg: unknown }[]) {
  return got.flatMap(({ name, arg }) => {
    const r = schemaOf(events, name, 'server').safeParse(arg)
    return r.success
      ? []
      : [`${name}: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`]
  })
}

describe('Socket.IO events match socketio-events.ts', () => {
  it('should send room events and acks as documented for /{room}', async () => {
    const events = namespace('/{room}').events
    const room = uniqueRoom('schema')
    const a = await member(room, 'alice')
    const got = record(a)
    const b = await member(room, 'bob')
    const gotB = record(b)
    const ack = await b.emitWithAck('chat-message', { message: 'hello', client_id: 'c-1' })
    expect(schemaOf(events, 'chat-message', 'ack').safeParse(ack).success).toBe(true)
    b.emit('position', { lat: 52.5, lng: 13.4, accuracy: 5 })
    b.emit('room-record', { room, status: 'recording' })
    b.emit('conference-status', { room, status: 'started' })
    b.emit('agentCar', { taskId: 't-1', carNo: 'A-1', lat: 1, lng: 2 })
    b.emit('shout', {})
    const refused = await b.emitWithAck('chat-message', {})
    expect(schemaOf(events, 'chat-message', 'ack').safeParse(refused).success).toBe(true)
    await until(() => got.some((e) => e.name === 'agentCar'))
    await until(() => gotB.some((e) => e.name === 'error'))
    b.disconnect()
    await until(() => got.some((e) => e.name === 'user-disconnect'))
    const names = new Set(got.map((e) => e.name))
    for (const n of [
      'user-connection',
      'chat-message',
      'position',
      'room-record',
      'conference-status',
      'agentCar',
      'user-disconnect',
    ])
      expect(names, n).toContain(n)
    expect(problems(events, [...got, ...gotB])).toEqual([])
  })

  it('should send notification events and acks as documented for /notification', async () => {
    const events = namespace('/notification').events
    const token = await staffToken()
    const s = await connected(client('/notification', { transports: ['websocket'], auth: { token } }))
    const got = record(s)
    const all = await s.emitWithAck('all')
    expect(schemaOf(events, 'all', 'ack').safeParse(all).success).toBe(true)
    const gotNew = next(s, 'new')
    const res = await fetch(`${baseUrl()}/notification`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `Schema ${Date.now()}` }),
    })
    const note = ((await res.json()) as { data: { id: string } }).data
    await gotNew
    const read = await s.emitWithAck('read', { id: note.id })
    expect(schemaOf(events, 'read', 'ack').safeParse(read).success).toBe(true)
    await until(() => got.some((e) => e.name === 'update'))
    expect(problems(events, got)).toEqual([])
  })
})
