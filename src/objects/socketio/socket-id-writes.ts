/**
 * `room_users.socket_id` (seed 000 `updateSocketIOUser`): the Socket.IO id a participant last
 * connected with, written after CONNECT and off its path. Writes arriving within FLUSH_MS of each
 * other go to D1 in one batch (the latest sid per identity), so a burst of CONNECTs costs one
 * round trip instead of one each. Failures are dropped: the column is informational.
 */
export const FLUSH_MS = 1000

interface Queue {
  d1: D1Database
  room: string
  sids: Map<string, { sid: string; at: number }>
}

const queues = new WeakMap<DurableObjectState, Queue>()

export function recordSocketId(
  ctx: DurableObjectState,
  d1: D1Database,
  room: string,
  identity: string,
  sid: string,
): void {
  let q = queues.get(ctx)
  if (!q) {
    const queue: Queue = { d1, room, sids: new Map() }
    queues.set(ctx, queue)
    ctx.waitUntil(flushLater(ctx, queue))
    q = queue
  }
  q.sids.set(identity, { sid, at: Date.now() })
}

async function flushLater(ctx: DurableObjectState, q: Queue): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, FLUSH_MS))
  queues.delete(ctx)
  const stmt = q.d1.prepare(
    'UPDATE room_users SET socket_id = ?, updated_at = ? WHERE room = ? AND identity = ?',
  )
  await q.d1
    .batch([...q.sids].map(([identity, { sid, at }]) => stmt.bind(sid, at, q.room, identity)))
    .catch(() => undefined)
}
