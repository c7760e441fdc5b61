import { createRoute } from '@hono/zod-openapi'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import { STAFF_ROLES } from '../lib/identity'
import { router } from '../lib/router'
import { requireAuth } from '../middleware/auth'
import { bearerSecurity, jsonBody, modernResponses } from '../schemas/common'
import {
  CreateNotificationBody,
  Notification,
  NotificationIdParam,
  NotificationList,
  NotificationListQuery,
} from '../schemas/notifications'
import * as notes from '../services/notifications'

/** `/api/v1/notifications` — per-user and per-organisation channels, plus the staff feed. */
export const notificationRoutes = router()
notificationRoutes.use('*', requireAuth())

const common = { tags: ['Notifications'], security: bearerSecurity }

notificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/',
    summary: 'My notifications (staff: any channel with ?channel=)',
    request: { query: NotificationListQuery },
    responses: modernResponses(200, NotificationList, 'Notifications', [401, 403]),
  }),
  async (c) => {
    const q = c.req.valid('query')
    const channel = notes.channelFor(c.var.identity!, q.channel)
    return ok(
      c,
      await notes.listNotifications(db(c.env.DB), channel, {
        unreadOnly: q.unread === 'true',
        limit: q.limit,
      }),
    )
  },
)

notificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/unread',
    summary: 'My unread notifications',
    request: { query: NotificationListQuery.pick({ channel: true, limit: true }) },
    responses: modernResponses(200, NotificationList, 'Unread', [401, 403]),
  }),
  async (c) => {
    const q = c.req.valid('query')
    const channel = notes.channelFor(c.var.identity!, q.channel)
    return ok(c, await notes.listNotifications(db(c.env.DB), channel, { unreadOnly: true, limit: q.limit }))
  },
)

notificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{notificationId}',
    summary: 'One notification',
    request: { params: NotificationIdParam },
    responses: modernResponses(200, Notification, 'The notification', [401, 403, 404]),
  }),
  async (c) => {
    const row = await notes.getNotification(db(c.env.DB), c.req.valid('param').notificationId)
    notes.requireChannelAccess(row.channel, c.var.identity!)
    return ok(c, notes.notificationView(row))
  },
)

notificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/',
    summary: 'Create a notification (staff); its channel is told in real time',
    middleware: [requireAuth({ roles: STAFF_ROLES })],
    request: { body: jsonBody(CreateNotificationBody) },
    responses: modernResponses(201, Notification, 'Created', [401, 403, 404]),
  }),
  async (c) => ok(c, await notes.createNotification(c.env, db(c.env.DB), c.req.valid('json')), 201),
)

notificationRoutes.openapi(
  createRoute({
    ...common,
    method: 'put',
    path: '/{notificationId}/read',
    summary: 'Mark read (idempotent); the channel gets an update',
    request: { params: NotificationIdParam },
    responses: modernResponses(200, Notification, 'Read', [401, 403, 404]),
  }),
  async (c) => {
    const d = db(c.env.DB)
    const row = await notes.getNotification(d, c.req.valid('param').notificationId)
    notes.requireChannelAccess(row.channel, c.var.identity!)
    return ok(c, await notes.markRead(c.env, d, row))
  },
)
