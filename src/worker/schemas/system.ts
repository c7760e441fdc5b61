import { z } from '@hono/zod-openapi'
import { ServiceSettings } from './service'

export const Root = z
  .object({
    service: z.literal('switchboard'),
    version: z.string(),
    docs: z.string(),
    openapi: z.string(),
    asyncapi: z.string(),
    console: z.string(),
    health: z.string(),
  })
  .openapi('Root')

export const Status = z
  .object({
    time: z.string(),
    environment: z.string(),
    usage: z.object({
      open_rooms: z.number().int().openapi({ description: 'Conference rooms open or started' }),
      active_links: z.number().int().openapi({ description: 'Enabled, unexpired, unconsumed links' }),
      live_sessions: z.number().int().openapi({ description: 'Live sessions with status live' }),
      active_recordings: z.number().int(),
      queued_recordings: z.number().int(),
      online_users: z.number().int(),
    }),
  })
  .openapi('Status')

export const ServiceInfo = z
  .object({
    version: z.string(),
    environment: z.string(),
    services: z.array(ServiceSettings),
    livekit: z.object({
      nodes: z.array(z.object({ name: z.string(), url: z.string(), healthy: z.boolean().nullable() })),
      egress_limit: z.number().int(),
    }),
    sms: z.object({ enabled: z.boolean(), provider_configured: z.boolean() }),
  })
  .openapi('ServiceInfo')

export const NamespaceList = z.array(z.string()).openapi('NamespaceList')

/** `POST /log`: one usage event from a frontend. */
export const LogBody = z
  .object({
    action: z.string().trim().min(1, 'is required').max(64),
    room: z.string().trim().min(1).max(128).optional(),
    identity: z.string().trim().min(1).max(128).optional(),
    device: z.string().trim().max(256).optional(),
    detail: z
      .union([z.string().max(4000), z.record(z.string(), z.unknown())])
      .optional()
      .openapi({ description: 'Free text or a JSON object (stored as JSON, at most 4000 characters)' }),
  })
  .openapi('LogRequest')

export const LogEntry = z
  .object({
    id: z.number().int(),
    action: z.string(),
    room: z.string().nullable(),
    identity: z.string().nullable(),
    device: z.string().nullable(),
    detail: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('LogEntry')
