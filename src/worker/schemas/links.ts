import { z } from '@hono/zod-openapi'

/** Link ids are drawn from CUSTOM_CHARSET (letters by default); accept any reasonable token shape. */
export const LinkId = z
  .string()
  .trim()
  .min(4, 'must be a link id')
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a link id')

const room = z.string().trim().min(1, 'is required').max(128)
const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9]{6,15}$/, 'must be a phone number of 6 to 15 digits, optionally with a leading +')
const service = z.coerce.number().int().min(0).max(1_000_000)
const latitude = z.coerce
  .number()
  .min(-90, 'must be between -90 and 90')
  .max(90, 'must be between -90 and 90')
const longitude = z.coerce
  .number()
  .min(-180, 'must be between -180 and 180')
  .max(180, 'must be between -180 and 180')
const accuracy = z.coerce.number().int().min(0).max(1_000_000)
const expiresIn = z.coerce
  .number()
  .int()
  .min(60, 'must be at least 60 seconds')
  .max(30 * 86_400, 'must be at most 30 days')
  .openapi({ description: 'Lifetime in seconds; default ROOM_DAY_DEFAULT_TIMEOUT' })

/** Link kinds: where the share URL points (`/join`, `/hls`, `/car`). */
export const LinkType = z.enum(['conference', 'hls', 'car'])

/** `POST /link/create` (seed 000 field names). */
export const CreateLinkBody = z
  .object({
    room,
    userType: z.string().trim().min(1, 'is required').max(32),
    userName: z.string().trim().min(1).max(100).optional(),
    phone: phone.optional(),
    service: service.optional(),
    oneTime: z.boolean().optional().openapi({ description: 'Usable once: consumed when first opened' }),
    expiresIn: expiresIn.optional(),
  })
  .openapi('CreateLinkRequest')

/** `POST /link/create/hls`: a viewer link to the room's HLS stream. */
export const CreateHlsLinkBody = CreateLinkBody.omit({ userType: true }).openapi('CreateHlsLinkRequest')

/** `POST /link/cartracking`: a link an ambulance crew opens to share its position. */
export const CarTrackingBody = CreateLinkBody.omit({ userType: true })
  .extend({ carNo: z.string().trim().min(1, 'is required').max(32) })
  .openapi('CarTrackingRequest')

export const Link = z
  .object({
    linkID: z.string(),
    url: z.string(),
    room: z.string(),
    type: LinkType,
    userType: z.string(),
    userName: z.string().nullable(),
    phone: z.string().nullable(),
    service: z.number().int(),
    oneTime: z.boolean(),
    used: z.boolean(),
    usedAt: z.string().nullable(),
    enabled: z.boolean(),
    expired: z.boolean(),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
    accuracy: z.number().int().nullable(),
    connectedAt: z.string().nullable(),
    expiresAt: z.string(),
    createdAt: z.string(),
  })
  .openapi('Link')

export const SmsResult = z
  .object({
    id: z.string(),
    phone: z.string(),
    status: z.enum(['sent', 'logged', 'failed']),
    error: z.string().nullable(),
  })
  .openapi('SmsResult')

export const CreatedLink = Link.extend({ sms: SmsResult.nullable() }).openapi('CreatedLink')

const userType = z.string().trim().min(1).max(32)

/**
 * `GET /link/getdetail` (seed 000 `GetLinkDetail(linkID, room, userType)`): a link by id, or — staff
 * only — the newest link of `room` (of `userType` when given).
 */
export const LinkDetailQuery = z
  .object({
    linkID: LinkId.optional(),
    room: room.optional().openapi({ description: 'Staff: the newest link of this room (without linkID)' }),
    userType: userType.optional().openapi({ description: 'With room: only links of this userType' }),
  })
  .superRefine((q, ctx) => {
    if (!q.linkID && !q.room)
      ctx.addIssue({ code: 'custom', path: ['linkID'], message: 'is required (or room, for staff)' })
  })

export const LatLngBody = z
  .object({ linkID: LinkId, lat: latitude, lng: longitude, accuracy: accuracy.optional() })
  .openapi('LatLngRequest')

export const MultiLatLngBody = z
  .object({ positions: z.array(LatLngBody).min(1, 'must hold at least one position').max(100) })
  .openapi('MultiLatLngRequest')

export const MultiLatLngResult = z
  .object({
    updated: z.number().int(),
    results: z.array(z.object({ linkID: z.string(), updated: z.boolean(), reason: z.string().optional() })),
  })
  .openapi('MultiLatLngResult')

const page = z.coerce.number().int().min(1).default(1)
const limit = z.coerce.number().int().min(1).max(200).default(50)

export const LinkListQuery = z.object({
  room: room.optional(),
  type: LinkType.optional(),
  enabled: z.enum(['true', 'false']).optional(),
  page,
  limit,
})

export const LinkList = z
  .object({ items: z.array(Link), total: z.number().int(), page: z.number().int(), limit: z.number().int() })
  .openapi('LinkList')

export const SmsHistoryQuery = z.object({
  phone: phone.optional(),
  room: room.optional(),
  linkID: LinkId.optional(),
  page,
  limit,
})

export const SmsLog = z
  .object({
    id: z.string(),
    phone: z.string(),
    message: z.string(),
    linkID: z.string().nullable(),
    room: z.string().nullable(),
    status: z.enum(['sent', 'logged', 'failed']),
    error: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('SmsLog')

export const SmsHistory = z
  .object({
    items: z.array(SmsLog),
    total: z.number().int(),
    page: z.number().int(),
    limit: z.number().int(),
  })
  .openapi('SmsHistory')

export const ShareQuery = z.object({ room, userType: userType.optional() })

/** `GET /link/get/domain` (seed 000 `GetDomain(service, sender, linkType, linkID)`). */
export const DomainQuery = z.object({
  service: service.optional(),
  linkID: LinkId.optional().openapi({ description: 'Use this link’s service and type' }),
  sender: z.string().trim().min(1).max(64).optional().openapi({
    description:
      'The channel the link goes out on (e.g. `sms`): the service’s `settings.senderDomains[sender]`, when set, wins over its domain',
  }),
  linkType: LinkType.optional().openapi({ description: 'Also answer `url`, the base of such share URLs' }),
})

export const Domain = z
  .object({
    service: z.number().int(),
    domain: z.string(),
    source: z.enum(['sender', 'service', 'default']),
    linkType: LinkType.optional(),
    url: z
      .string()
      .optional()
      .openapi({ description: '`<domain>/<join|hls|car>`: share URLs of `linkType` are `<url>/<linkID>`' }),
  })
  .openapi('Domain')

/** `POST /sms/custom`. */
export const CustomSmsBody = z
  .object({
    phone,
    message: z.string().trim().min(1, 'is required').max(1000),
    room: room.optional(),
  })
  .openapi('CustomSmsRequest')
