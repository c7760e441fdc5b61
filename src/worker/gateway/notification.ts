import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { staffOnly } from './access'
import { gatewayResponses, jsonBody } from '../schemas/common'
import { CreateNotificationBody, Notification, NotificationIdParam } from '../schemas/notifications'
import * as notes from '../services/notifications'

/** Seed 000 `/notification*`: the staff feed (channel `broadcast`), over the notifications service. */
export const gatewayNotificationRoutes = router()

const common = {
  tags: ['Gateway: notification'],
  ...staffOnly,
}
const List = z.array(Notification)

gatewayNotificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/notification/events',
    summary: 'All feed notifications',
    responses: gatewayResponses(List, 'Notifications', [401, 403]),
  }),
  async (c) => success(c, (await notes.listNotifications(db(c.env.DB), notes.BROADCAST)).notifications),
)

gatewayNotificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/notification/unread',
    summary: 'Unread feed notifications',
    responses: gatewayResponses(List, 'Unread', [401, 403]),
  }),
  async (c) =>
    success(
      c,
      (await notes.listNotifications(db(c.env.DB), notes.BROADCAST, { unreadOnly: true })).notifications,
    ),
)

gatewayNotificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'put',
    path: '/notification/update/{notificationId}',
    summary: 'Mark a notification read; `/notification` sockets get `update`',
    request: { params: NotificationIdParam },
    responses: gatewayResponses(Notification, 'Updated', [401, 403, 404]),
  }),
  async (c) => {
    const d = db(c.env.DB)
    return success(
      c,
      await notes.markRead(c.env, d, await notes.getNotification(d, c.req.valid('param').notificationId)),
    )
  },
)

gatewayNotificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/notification/{notificationId}',
    summary: 'One notification',
    request: { params: NotificationIdParam },
    responses: gatewayResponses(Notification, 'The notification', [401, 403, 404]),
  }),
  async (c) =>
    success(
      c,
      notes.notificationView(await notes.getNotification(db(c.env.DB), c.req.valid('param').notificationId)),
    ),
)

gatewayNotificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/notification',
    summary: 'Create a notification (default channel: the feed); `/notification` sockets get `new`',
    request: { body: jsonBody(CreateNotificationBody) },
    responses: gatewayResponses(Notification, 'Created', [401, 403, 404]),
  }),
  async (c) => success(c, await notes.createNotification(c.env, db(c.env.DB), c.req.valid('json'))),
)
