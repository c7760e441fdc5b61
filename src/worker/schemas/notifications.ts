import { z } from '@hono/zod-openapi'

/** `user:<id>`, `org:<id>` or `broadcast` (the staff dashboard feed that `/notification` sockets follow). */
export const NotificationChannelName = z
  .string()
  .regex(/^(broadcast|user:[\w-]{1,64}|org:[\w-]{1,64})$/, 'must be broadcast, user:<id> or org:<id>')

export const Notification = z
  .object({
    id: z.string(),
    channel: z.string(),
    type: z.string(),
    title: z.string(),
    body: z.string().nullable(),
    data: z.unknown().nullable(),
    room: z.string().nullable(),
    read: z.boolean(),
    read_at: z.string().nullable(),
    delivered: z
      .boolean()
      .openapi({ description: 'A `/notification` socket acknowledged its `new` event (or it was read)' }),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Notification')

export const CreateNotificationBody = z
  .object({
    channel: NotificationChannelName.optional(),
    user_id: z.string().min(1).max(64).optional(),
    type: z.string().trim().min(1).max(50).default('info'),
    title: z.string().trim().min(1, 'is required').max(200),
    body: z.string().max(4000).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    room: z.string().max(128).optional(),
  })
  .refine((v) => !(v.channel && v.user_id), {
    message: 'give channel or user_id, not both',
    path: ['channel'],
  })
  .openapi('CreateNotificationRequest')

export const NotificationListQuery = z.object({
  channel: NotificationChannelName.optional().openapi({
    description: 'Staff only; default: your own user channel',
  }),
  unread: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
})

export const NotificationList = z
  .object({ notifications: z.array(Notification), unread_count: z.number().int() })
  .openapi('NotificationList')

export const NotificationIdParam = z.object({
  notificationId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'notificationId', in: 'path' } }),
})
