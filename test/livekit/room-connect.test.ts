import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { OPEN_TTL_MS } from '../../src/objects/socketio/room-status'
import { FLUSH_MS } from '../../src/objects/socketio/socket-id-writes'
import { call } from '../helpers'
import { roomParticipants, watchRoom } from './room-socket'

const { staff, generate } = roomParticipants()
let n = 0

describe('CONNECT to a room namespace (D1 reads and writes kept off each CONNECT)', () => {
  it('should refuse a CONNECT right after the room is closed, though an earlier CONNECT found it open', async () => {
    const room = `conn-${Date.now().toString(36)}-${++n}`
    const first = await watchRoom(room, (await generate(room)).token)
    const late = await generate(room) // minted while the room is open
    const closed = await call('/room/close', { method: 'PUT', token: staff(), json: { room } })
    expect(closed.status).toBe(200)
    await expect(watchRoom(room, late.token)).rejects.toThrow(/closed/)
    first.close()
  })

  it('should notice a room closed in D1 alone (no publish reached the object) within OPEN_TTL_MS', async () => {
    const room = `ttl-${Date.now().toString(36)}-${++n}`
    const first = await watchRoom(room, (await generate(room)).token)
    const late = await generate(room)
    await env.DB.prepare("UPDATE conference_rooms SET status = 'closed' WHERE name = ?").bind(room).run()
    await new Promise((r) => setTimeout(r, OPEN_TTL_MS + 200))
    await expect(watchRoom(room, late.token)).rejects.toThrow(/closed/)
    first.close()
  })

  it('should record each participant’s latest socket id in room_users, batched after CONNECT', async () => {
    const room = `sid-${Date.now().toString(36)}-${++n}`
    const a = await generate(room)
    const b = await generate(room)
    const sockets = [await watchRoom(room, a.token), await watchRoom(room, b.token)]
    const again = await watchRoom(room, a.token) // a reconnects: its newer sid wins
    await new Promise((r) => setTimeout(r, FLUSH_MS + 500))
    const rows = (
      await env.DB.prepare('SELECT identity, socket_id FROM room_users WHERE room = ? ORDER BY identity')
        .bind(room)
        .all<{ identity: string; socket_id: string | null }>()
    ).results
    expect(rows.map((r) => r.identity).sort()).toEqual([a.identity, b.identity].sort())
    for (const r of rows) expect(r.socket_id).toMatch(/^[0-9a-f]{20}$/)
    // The reconnect's announcement to b names a's newest socket id, the one D1 now holds.
    const announced = sockets[1].events.filter(
      ([e, d]) => e === 'user-connection' && d.identity === a.identity,
    )
    expect(announced).toHaveLength(1)
    expect(rows.find((r) => r.identity === a.identity)!.socket_id).toBe(announced[0][1].socketId)
    for (const s of [...sockets, again]) s.close()
  })
})
