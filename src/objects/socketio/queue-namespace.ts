import { AppError } from '../../worker/lib/errors'
import type { NamespaceHandler } from './namespace'
import { requireStaff } from './staff-auth'

/** Case statuses that count as waiting in the queue. */
const WAITING = ['new', 'queued', 'waiting']

/**
 * `/queue` and `/newqueue` (seed 000 §4.2.4): staff sockets; the server emits `queue-update` and
 * `newcase` (see services/realtime.ts `emitToQueue`); a client's `queue-update` asks for the
 * current queue (answered as an event and as the ack).
 */
export const queueNamespace: NamespaceHandler = {
  connect(c, _sock, auth, query) {
    return requireStaff(c, auth, query)
  },

  async event(c, _sock, name) {
    if (name !== 'queue-update')
      throw new AppError('bad_request', `Unknown event "${name}" on ${c.nsp} (use queue-update)`)
    const rows = await c.env.DB.prepare(
      `SELECT id, room, title, type, status, caller_phone, lat, lng, created_at FROM cases
       WHERE status IN (${WAITING.map(() => '?').join(',')}) ORDER BY created_at LIMIT 200`,
    )
      .bind(...WAITING)
      .all()
    const queue = { cases: rows.results, count: rows.results.length }
    c.emit('queue-update', queue)
    return [queue]
  },
}
