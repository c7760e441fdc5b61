import { AppError } from '../../worker/lib/errors'
import type { NamespaceHandler, NsContext } from './namespace'
import { requireStaff } from './staff-auth'

/** The notification channel `/notification` sockets follow (seed 000's dashboard feed). */
export const NOTIFICATION_FEED = 'broadcast'

interface NotificationRow {
  id: string
  type: string
  title: string
  body: string | null
  data: string | null
  room: string | null
  read_at: number | null
  created_at: number
}

/**
 * `/notification` (seed 000 §4.2.3): `all` and `unread` answer the feed (as an event of the same
 * name and as the ack), `read` marks one read and broadcasts `update`; the server emits `new` and
 * `update`. Open to anyone only with NOTIFICATION_PUBLIC=true; otherwise a staff token is needed.
 */
export const notificationNamespace: NamespaceHandler = {
  async connect(c, _sock, auth, query) {
    if (c.config.NOTIFICATION_PUBLIC) return {}
    return requireStaff(c, auth, query)
  },

  async event(c, _sock, name, args) {
    switch (name) {
      case 'all':
      case 'unread': {
        const list = await listFeed(c, name === 'unread')
        c.emit(name, list)
        return [list]
      }
      case 'read': {
        const raw = args[0]
        const id = typeof raw === 'string' ? raw : (raw as { id?: unknown } | null)?.id
        if (typeof id !== 'string' || !id) throw new AppError('validation_failed', 'read: "id" is required')
        const at = Date.now()
        const res = await c.env.DB.prepare(
          'UPDATE notifications SET read_at = ? WHERE id = ? AND channel = ?',
        )
          .bind(at, id, NOTIFICATION_FEED)
          .run()
        if (!res.meta.changes) throw new AppError('not_found', `Notification ${id} not found`)
        const update = { id, read: true, read_at: new Date(at).toISOString() }
        c.broadcast('update', [update])
        return [update]
      }
      default:
        throw new AppError('bad_request', `Unknown event "${name}" on /notification (use all, unread, read)`)
    }
  },
}

async function listFeed(c: NsContext, unreadOnly: boolean) {
  const rows = await c.env.DB.prepare(
    `SELECT id, type, title, body, data, room, read_at, created_at FROM notifications
     WHERE channel = ? ${unreadOnly ? 'AND read_at IS NULL' : ''} ORDER BY created_at DESC LIMIT 100`,
  )
    .bind(NOTIFICATION_FEED)
    .all<NotificationRow>()
  return rows.results.map((r) => ({
    id: r.id,
    type: r.type,
    title: r.title,
    body: r.body,
    data: r.data ? safeJson(r.data) : null,
    room: r.room,
    read: r.read_at !== null,
    created_at: new Date(r.created_at).toISOString(),
  }))
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
