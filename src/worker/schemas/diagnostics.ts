import { z } from '@hono/zod-openapi'

const Probe = z
  .object({ ok: z.boolean(), ms: z.number().int(), error: z.string().optional() })
  .openapi('StoreProbe')

export const StoreConnections = z
  .object({ ok: z.boolean(), d1: Probe, r2: Probe, objects: Probe })
  .openapi('StoreConnections')

export const StoreOperations = z.object({ ok: z.boolean(), d1: Probe, r2: Probe }).openapi('StoreOperations')

export const ClearedDiagnostics = z
  .object({ r2_objects: z.number().int(), d1_rows: z.number().int() })
  .openapi('ClearedDiagnostics')

export const UnmutedTracks = z
  .object({
    room: z.string(),
    unmuted: z.array(z.object({ identity: z.string(), track_sid: z.string() })),
  })
  .openapi('UnmutedTracks')

export const RecordIdParam = z.object({ recordId: z.string().min(1).max(64) })
