import { z } from '@hono/zod-openapi'
import { EventTypeSchema } from './events'

const url = z
  .string()
  .max(2048)
  .url()
  .refine((v) => /^https?:\/\//i.test(v), 'must be an http(s) URL')
  .openapi({ example: 'https://backend.example/hooks/switchboard' })

const events = z
  .array(EventTypeSchema)
  .min(1, 'name at least one event type')
  .refine((v) => new Set(v).size === v.length, 'lists an event type twice')

export const CreateWebhookEndpointBody = z
  .object({
    url,
    events,
    service: z.number().int().min(0).nullable().default(null).openapi({
      description: 'Only this service’s events; null (default): every event, whatever its service',
    }),
    description: z.string().trim().max(200).optional(),
    max_batch_size: z.number().int().min(1).max(100).default(1).openapi({
      description: 'Events per POST at most; 1 (default) sends one event per request',
    }),
    enabled: z.boolean().default(true),
  })
  .openapi('CreateWebhookEndpointRequest')

export const UpdateWebhookEndpointBody = z
  .object({
    url: url.optional(),
    events: events.optional(),
    service: z.number().int().min(0).nullable().optional(),
    description: z.string().trim().max(200).nullable().optional(),
    max_batch_size: z.number().int().min(1).max(100).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: 'give at least one field to change',
    path: ['(body)'],
  })
  .openapi('UpdateWebhookEndpointRequest')

export const WebhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(EventTypeSchema),
    service: z.number().int().nullable(),
    description: z.string().nullable(),
    max_batch_size: z.number().int(),
    enabled: z.boolean(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookEndpoint')

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({
  secret: z.string().openapi({ description: 'Signs deliveries; shown only now — store it' }),
}).openapi('WebhookEndpointWithSecret')

export const WebhookEndpointList = z
  .object({ endpoints: z.array(WebhookEndpoint) })
  .openapi('WebhookEndpointList')

export const WebhookListQuery = z.object({
  service: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: 'Only this service’s endpoints' }),
})

export const EndpointIdParam = z.object({
  endpoint_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'endpoint_id', in: 'path' } }),
})

export const DeadLetterIdParam = z.object({
  dead_letter_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'dead_letter_id', in: 'path' } }),
})

export const DeadLetterQuery = z.object({
  endpoint_id: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
})

export const DeadLetter = z
  .object({
    id: z.string(),
    endpoint_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    event: z.record(z.string(), z.unknown()).openapi({ description: 'The event as it was to be delivered' }),
    attempts: z.number().int(),
    last_status: z.number().int().nullable().openapi({ description: 'HTTP status; null: no response' }),
    last_error: z.string().nullable(),
    failed_at: z.string(),
  })
  .openapi('WebhookDeadLetter')

export const DeadLetterList = z.object({ dead_letters: z.array(DeadLetter) }).openapi('WebhookDeadLetterList')

export const ReplayResult = z
  .object({
    replayed: z.number().int().openapi({ description: 'Deliveries queued again (same event ids)' }),
    remaining: z.number().int().openapi({ description: 'Dead letters still stored for this scope' }),
  })
  .openapi('WebhookReplayResult')
