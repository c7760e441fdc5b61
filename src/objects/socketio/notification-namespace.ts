import { db } from '../../worker/db/client'
import { AppError } from '../../worker/lib/errors'
import { verifyToken } from '../../worker/lib/jwt'
import {
  channelsOf,
  DELIVERED,
  getNotification,
  listNotifications,
  markDelivered,
  markRead,
  undeliveredNotifications,
} from '../../worker/services/notifications'
import type { NamespaceHandler, NsData } from './namespace'

const channels = (data: NsData) => (Array.isArray(data.ch) ? (data.ch as string[]) : [])

/**
 * `/notification` (seed 000 §4.2.3). A socket follows its user's channel `user:<id>` and, for
 * staff (or everyone with NOTIFICATION_PUBLIC=true), the staff feed `broadcast`; it runs in the
 * object holding the socket, which subscribes to those channels' objects. `all` and `unread`
 * answer the followed channels' notifications (as an event of the same name and as the ack),
 * `read` `{id}` marks one read (its channel then gets `update`). `new` asks for an ack: the first
 * ACK marks the notification delivered, and on connect a socket is sent every recent unread
 * notification of its channels that nobody acknowledged yet (at-least-once: dedupe by `id`).
 */
export const notificationNamespace: NamespaceHandler = {
  async connect(c, _sock, auth, query) {
    const token = auth.token ?? query.token
    if ((typeof token !== 'string' || !token) && c.config.NOTIFICATION_PUBLIC)
      return { ch: channelsOf(undefined, true) }
    if (typeof token !== 'string' || !token) throw new AppError('unauthorized', 'auth.token is required')
    const who = await verifyToken(token, c.config.JWT_SECRET)
    const ch = channelsOf(who, c.config.NOTIFICATION_PUBLIC)
    if (!ch.length) throw new AppError('forbidden', '/notification has no channel for this token')
    return { id: who.id, n: who.name.slice(0, 120), ch }
  },

  follows: (data) => channels(data).map((name) => ({ kind: 'notification', name })),

  async connected(c, sock) {
    for (const note of await undeliveredNotifications(db(c.env.DB), channels(sock.data)))
      c.emitWithAck('new', [note], { purpose: DELIVERED, ctx: { id: note.id } })
  },

  async event(c, sock, name, args) {
    switch (name) {
      case 'all':
      case 'unread': {
        const { notifications } = await listNotifications(db(c.env.DB), channels(sock.data), {
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
        if (!channels(sock.data).includes(row.channel))
          throw new AppError('not_found', 'Notification not found')
        return [await markRead(c.env, d, row)]
      }
      default:
        throw new AppError('bad_request', `Unknown event "${name}" on /notification (use all, unread, read)`)
    }
  },

  async acked(c, _sock, ask) {
    if (ask.purpose === DELIVERED && typeof ask.ctx?.id === 'string')
      await markDelivered(db(c.env.DB), ask.ctx.id)
  },
}
