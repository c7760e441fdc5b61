import { db } from '../../worker/db/client'
import { AppError } from '../../worker/lib/errors'
import { BROADCAST, getNotification, listNotifications, markRead } from '../../worker/services/notifications'
import type { NamespaceHandler } from './namespace'
import { requireStaff } from './staff-auth'

/**
 * `/notification` (seed 000 §4.2.3), the `broadcast` channel's feed: `all` and `unread` answer it
 * (as an event of the same name and as the ack), `read` `{id}` marks one read — the
 * notifications service then broadcasts `update`; REST creation broadcasts `new`. Open to anyone
 * only with NOTIFICATION_PUBLIC=true; otherwise a staff token is needed.
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
        const { notifications } = await listNotifications(db(c.env.DB), BROADCAST, {
          unreadOnly: name === 'unread',
        })
        c.emit(name, notifications)
        return [notifications]
      }
      case 'read': {
        const raw = args[0]
        const id = typeof raw === 'string' ? raw : (raw as { id?: unknown } | null)?.id
        if (typeof id !== 'string' || !id) throw new AppError('validation_failed', 'read: "id" is required')
        const d = db(c.env.DB)
        const row = await getNotification(d, id)
        if (row.channel !== BROADCAST) throw new AppError('not_found', 'Notification not found')
        return [await markRead(c.env, d, row)]
      }
      default:
        throw new AppError('bad_request', `Unknown event "${name}" on /notification (use all, unread, read)`)
    }
  },
}
