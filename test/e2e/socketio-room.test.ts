import { afterEach, describe, expect, it } from 'vitest'
import {
  client,
  closeAll,
  member,
  collect,
  connected,
  liveKitToken,
  next,
  uniqueRoom,
  until,
} from './helpers'

afterEach(closeAll)

describe('Socket.IO room namespace (websocket transport)', () => {
  it('should connect with a valid LiveKit token', async () => {
    const room = uniqueRoom()
    const s = client(`/${room}`, { transports: ['websocket'], auth: { token: await liveKitToken(room) } })
    await connected(s)
    expect(s.id).toBeTruthy()
  })

  it('should refuse a connection without a token with a connect_error message', async () => {
    const room = uniqueRoom()
    const s = client(`/${room}`, { transports: ['websocket'] })
    await expect(connected(s)).rejects.toThrow(/auth\.token is required/)
  })

  it('should refuse a token for another room', async () => {
    const room = uniqueRoom()
    const s = client(`/${room}`, {
      transports: ['websocket'],
      auth: { token: await liveKitToken('other-room') },
    })
    await expect(connected(s)).rejects.toThrow(/another room/)
  })

  it('should broadcast chat messages to every member in one order', async () => {
    const room = uniqueRoom()
    const members = await Promise.all([0, 1, 2].map(async (i) => member(room, `m${i}`)))
    const seen = members.map((m) => collect<{ seq: number; message: string }>(m, 'chat-message'))
    await Promise.all(
      members.flatMap((m, i) =>
        [0, 1, 2, 3].map((k) => m.emitWithAck('chat-message', { message: `m${i}-${k}` })),
      ),
    )
    await until(() => seen.every((s) => s.length === 12))
    const order = seen[0].map((m) => m.message)
    for (const s of seen) expect(s.map((m) => m.message)).toEqual(order)
    expect(seen[0].map((m) => m.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
  })

  it('should ack a chat message with its id and seq after it is stored', async () => {
    const room = uniqueRoom()
    const s = await connected(
      client(`/${room}`, { transports: ['websocket'], auth: { token: await liveKitToken(room) } }),
    )
    const ack = await s.emitWithAck('chat-message', { message: 'hello', client_id: 'c-1' })
    expect(ack).toMatchObject({ seq: 1, duplicate: false })
    const again = await s.emitWithAck('chat-message', { message: 'hello', client_id: 'c-1' })
    expect(again).toEqual({ id: ack.id, seq: 1, duplicate: true })
  })

  it('should ack an event without payload', async () => {
    const room = uniqueRoom()
    const a = await member(room)
    const b = await member(room)
    const got = next(b, 'position')
    const args = await new Promise<unknown[]>((resolve) =>
      a.emit('position', { lat: 13.7, lng: 100.5 }, (...r: unknown[]) => resolve(r)),
    )
    expect(args).toEqual([])
    expect(await got).toMatchObject({ lat: 13.7, lng: 100.5 })
  })

  it('should answer bad input with an error event and keep the connection', async () => {
    const room = uniqueRoom()
    const s = await connected(
      client(`/${room}`, { transports: ['websocket'], auth: { token: await liveKitToken(room) } }),
    )
    const err = next(s, 'error')
    const ack = await s.emitWithAck('chat-message', 42)
    expect(ack.error.code).toBe('validation_failed')
    expect((await err).message).toMatch(/chat-message/)
    const unknown = next(s, 'error')
    s.emit('no-such-event', {})
    expect((await unknown).message).toMatch(/Unknown event "no-such-event"/)
    expect((await s.emitWithAck('chat-message', 'still here')).seq).toBe(1)
  })
})
