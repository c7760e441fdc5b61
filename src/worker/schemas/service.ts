import { z } from '@hono/zod-openapi'

const service = z.coerce.number().int().min(0).max(1_000_000)

/** A service (tenant) of the conference gateway: its name, link domain and SMS template. */
export const ServiceSettings = z
  .object({
    service: z.number().int(),
    name: z.string(),
    domain: z.string(),
    smsTemplate: z.string().nullable(),
    settings: z.record(z.string(), z.unknown()).nullable(),
    updatedAt: z.string(),
  })
  .openapi('ServiceSettings')

export const ServiceQuery = z.object({
  service: service.optional().openapi({ description: 'One service; all services when absent' }),
})

/** `PUT /service/update`: creates the service when absent (then `name` and `domain` are required). */
export const UpdateServiceBody = z
  .object({
    service,
    name: z.string().trim().min(1, 'is required').max(100).optional(),
    domain: z
      .string()
      .trim()
      .url('must be an absolute URL such as https://sos.example.com')
      .max(200)
      .optional(),
    smsTemplate: z
      .string()
      .max(500)
      .nullable()
      .optional()
      .openapi({ description: 'SMS text for new links; `{url}`, `{room}` and `{name}` are replaced' }),
    settings: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .openapi('UpdateServiceRequest')
