import { env } from 'cloudflare:workers'
import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { chatRoomStub, type ChatRoom } from './test-classes'
import { call, json } from '../helpers'
import { connect, groupWith, restSend } from '../chat-client'

const stub = chatRoomStub

async function allHistory(token: string, chatId: string, limit: number) {
  const seen: any[] = []
  let before: number | null | undefined
  let pages = 0
  do {
    const q = new URLSearchParams({ limit: String(limit), ...(before ? { before: String(before) } : {}) })
    const res = await call(`/api/v1/chats/${chatId}/messages?${q}`, { token })
    expect(res.status).toBe(200)
    const { data } = await json(res)
    seen.push(...data.messages)
    before = data.next_before
    pages++
  } while (before && pages < 100)
  return seen
}

describe('ChatRoom ordering', () => {
  it('should give 20 concurrent senders one identical gap-free order at every receiver', async () => {
    const { chatId, users } = await groupWith(20, 'Order')
    const clients = await Promise.all(users.map((u) => connect(u, chatId)))
    const perSender = 5
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = 0; k < perSender; k++)
          c.send({ type: 'send_message', room_id: chatId, content: `m ${i}/${k}`, client_id: `${i}-${k}` })
      }),
    )
    const total = users.length * perSender
    const orders = await Promise.all(
      clients.map(async (c) =>
        (await c.take(total, (f) => f.type === 'new_message')).map((f) => [f.seq, f.message_id]),
      ),
    )
    const seqs = orders[0].map(([s]) => s)
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    for (const o of orders) expect(o).toEqual(orders[0])
    // Each sender's own messages keep the order it sent them in.
    const contents = (await allHistory(users[0].access_token, chatId, 200)).reverse().map((m) => m.content)
    for (let i = 0; i < users.length; i++) {
      const mine = contents.filter((c) => c.startsWith(`m ${i}/`))
      expect(mine).toEqual(Array.from({ length: perSender }, (_, k) => `m ${i}/${k}`))
    }
    for (const c of clients) c.close()
  })

  it('should store a repeated client_id once and ack the second send with the first id', async () => {
    const { chatId, users } = await groupWith(2)
    const [a, b] = [await connect(users[0], chatId), await connect(users[1], chatId)]
    a.send({ type: 'send_message', room_id: chatId, content: 'once', client_id: 'dup-1' })
    const first = await a.next((f) => f.type === 'message_ack')
    a.send({ type: 'send_message', room_id: chatId, content: 'once', client_id: 'dup-1' })
    const second = await a.next((f) => f.type === 'message_ack')
    expect(second).toMatchObject({ message_id: first.message_id, seq: first.seq, duplicate: true })
    const rest = await restSend(users[0], chatId, { content: 'once', client_id: 'dup-1' })
    expect(rest.status).toBe(200)
    expect(rest.body.data.id).toBe(first.message_id)
    expect(await b.quiet((f) => f.type === 'new_message' && f.seq !== first.seq)).toBe(true)
    expect(b.ofType('new_message')).toHaveLength(1)
    const history = await allHistory(users[0].access_token, chatId, 50)
    expect(history.map((m) => m.id)).toEqual([first.message_id])
    a.close()
    b.close()
  })

  it('should replay exactly the missed messages, in order, on a reconnect with since', async () => {
    const { chatId, users } = await groupWith(2)
    const b = await connect(users[1], chatId)
    for (let i = 1; i <= 3; i++) await restSend(users[0], chatId, { content: `seen ${i}` })
    await b.take(3, (f) => f.type === 'new_message')
    const lastSeen = b.ofType('new_message').at(-1).seq
    b.close()
    for (let i = 1; i <= 4; i++) await restSend(users[0], chatId, { content: `missed ${i}` })
    const again = await connect(users[1], chatId, { since: String(lastSeen) })
    const replayed = await again.take(4, (f) => f.type === 'new_message')
    expect(replayed.map((f) => f.content)).toEqual(['missed 1', 'missed 2', 'missed 3', 'missed 4'])
    expect(replayed.map((f) => f.seq)).toEqual([4, 5, 6, 7])
    expect(await again.quiet((f) => f.type === 'new_message')).toBe(true)
    // join_room with since does the same on an open connection.
    again.send({ type: 'join_room', room_id: chatId, since: 5 })
    const viaJoin = await again.take(2, (f) => f.type === 'new_message')
    expect(viaJoin.map((f) => f.seq)).toEqual([6, 7])
    again.close()
  })

  it('should page history newest first and return every message exactly once', async () => {
    const { chatId, users } = await groupWith(1)
    for (let i = 1; i <= 23; i++) await restSend(users[0], chatId, { content: `h${i}` })
    const all = await allHistory(users[0].access_token, chatId, 5)
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: 23 }, (_, i) => 23 - i))
    expect(new Set(all.map((m) => m.id)).size).toBe(23)
    const first = await json(
      await call(`/api/v1/chats/${chatId}/messages?limit=5`, { token: users[0].access_token }),
    )
    expect(first.data.next_before).toBe(19)
  })

  it('should keep an acknowledged message across eviction, and the hibernated sockets keep working', async () => {
    const { chatId, users } = await groupWith(2)
    const [a, b] = [await connect(users[0], chatId), await connect(users[1], chatId)]
    a.send({ type: 'send_message', room_id: chatId, content: 'durable', client_id: 'd1' })
    const ack = await a.next((f) => f.type === 'message_ack')
    await evictDurableObject(stub(chatId))
    const history = await allHistory(users[0].access_token, chatId, 10)
    expect(history.map((m) => [m.id, m.content])).toEqual([[ack.message_id, 'durable']])
    // The sockets were hibernated, not closed: the rebuilt object still serves them, in order.
    b.send({ type: 'send_message', room_id: chatId, content: 'after wake' })
    const got = await a.next((f) => f.type === 'new_message' && f.content === 'after wake')
    expect(got.seq).toBe(2)
    // And a duplicate client_id sent before the eviction is still recognised.
    a.send({ type: 'send_message', room_id: chatId, content: 'durable', client_id: 'd1' })
    expect(await a.next((f) => f.type === 'message_ack' && f.duplicate)).toMatchObject({
      message_id: ack.message_id,
    })
    a.close()
    b.close()
  })

  it('should keep an acknowledged message when eviction closes every socket', async () => {
    const { chatId, users } = await groupWith(1)
    const a = await connect(users[0], chatId)
    a.send({ type: 'send_message', room_id: chatId, content: 'kept', client_id: 'k' })
    const ack = await a.next((f) => f.type === 'message_ack')
    await evictDurableObject(stub(chatId), { webSockets: 'close' })
    const history = await allHistory(users[0].access_token, chatId, 10)
    expect(history[0]).toMatchObject({ id: ack.message_id, seq: 1, content: 'kept' })
    const seq = await runInDurableObject(stub(chatId), (_i: ChatRoom, state) =>
      state.storage.sql.exec('SELECT max(seq) AS s FROM messages').one(),
    )
    expect(seq.s).toBe(1)
  })
})
