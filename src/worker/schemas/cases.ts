import { z } from '@hono/zod-openapi'

const lat = z.number().min(-90).max(90)
const lng = z.number().min(-180).max(180)

export const CaseStatus = z.enum([
  'new',
  'queued',
  'waiting',
  'assigned',
  'in_progress',
  'closed',
  'cancelled',
])

export const CaseView = z
  .object({
    id: z.string(),
    room: z.string().nullable(),
    title: z.string().nullable(),
    detail: z.string().nullable(),
    type: z.string().nullable(),
    status: z.string(),
    caller_phone: z.string().nullable(),
    device: z.string().nullable(),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
    created_by: z.string().nullable(),
    assigned_to: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Case')

export const CreateCaseBody = z
  .object({
    room: z.string().max(128).optional(),
    title: z.string().trim().min(1, 'is required').max(200),
    detail: z.string().max(4000).optional(),
    type: z.string().max(50).optional(),
    status: CaseStatus.default('new'),
    caller_phone: z
      .string()
      .regex(/^\+?[0-9 -]{3,20}$/, 'must be a phone number')
      .optional(),
    device: z.string().max(100).optional(),
    lat: lat.optional(),
    lng: lng.optional(),
  })
  .openapi('CreateCaseRequest')

export const UpdateCaseBody = z
  .object({
    id: z.string().min(1).max(64),
    room: z.string().max(128).nullable().optional(),
    title: z.string().trim().min(1).max(200).optional(),
    detail: z.string().max(4000).nullable().optional(),
    type: z.string().max(50).nullable().optional(),
    status: CaseStatus.optional(),
    assigned_to: z.string().max(64).nullable().optional(),
    lat: lat.nullable().optional(),
    lng: lng.nullable().optional(),
  })
  .openapi('UpdateCaseRequest')

export const CaseIdQuery = z.object({ id: z.string().min(1).max(64) })

export const CaseHistoryQuery = z.object({
  status: CaseStatus.optional(),
  room: z.string().max(128).optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})

export const CarTaskView = z
  .object({
    id: z.string(),
    room: z.string().nullable(),
    case_id: z.string().nullable(),
    car_no: z.string(),
    status: z.string(),
    detail: z.string().nullable(),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('CarTask')

export const CreateCarTaskBody = z
  .object({
    car_no: z.string().trim().min(1, 'is required').max(32),
    room: z.string().max(128).optional(),
    case_id: z.string().max(64).optional(),
    detail: z.string().max(2000).optional(),
  })
  .openapi('CreateCarTaskRequest')

export const UpdateCarTaskBody = z
  .object({
    id: z.string().min(1).max(64),
    status: z.string().trim().min(1).max(32).optional(),
    detail: z.string().max(2000).nullable().optional(),
    room: z.string().max(128).nullable().optional(),
    lat: lat.optional(),
    lng: lng.optional(),
    speed: z.number().min(0).max(500).optional(),
    heading: z.number().min(0).max(360).optional(),
  })
  .refine((v) => (v.lat === undefined) === (v.lng === undefined), {
    message: 'lat and lng go together',
    path: ['lat'],
  })
  .openapi('UpdateCarTaskRequest')

export const CarListQuery = z.object({
  status: z.string().max(32).optional(),
  room: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})
