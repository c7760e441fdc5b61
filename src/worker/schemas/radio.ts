import { z } from '@hono/zod-openapi'

/**
 * One entry of the radio location API's feed. Its format is not fixed by seed 000, so common
 * spellings are accepted: `radioNo`/`radio_no`/`radioNumber`, `deviceId`/`device_id`/`imei`,
 * `name`/`callsign`, `lat`/`latitude`, `lng`/`lon`/`longitude`, `updatedAt`/`timestamp`/`time`.
 */
export const RadioFeedItem = z
  .object({
    radioNo: z.union([z.string().min(1), z.number()]).optional(),
    radio_no: z.union([z.string().min(1), z.number()]).optional(),
    radioNumber: z.union([z.string().min(1), z.number()]).optional(),
    deviceId: z.union([z.string(), z.number()]).optional(),
    device_id: z.union([z.string(), z.number()]).optional(),
    imei: z.union([z.string(), z.number()]).optional(),
    name: z.string().optional(),
    callsign: z.string().optional(),
    lat: z.coerce.number().min(-90).max(90).optional(),
    latitude: z.coerce.number().min(-90).max(90).optional(),
    lng: z.coerce.number().min(-180).max(180).optional(),
    lon: z.coerce.number().min(-180).max(180).optional(),
    longitude: z.coerce.number().min(-180).max(180).optional(),
    updatedAt: z.union([z.string(), z.number()]).optional(),
    timestamp: z.union([z.string(), z.number()]).optional(),
    time: z.union([z.string(), z.number()]).optional(),
  })
  .transform((r, ctx) => {
    const radioNo = r.radioNo ?? r.radio_no ?? r.radioNumber
    if (radioNo === undefined) {
      ctx.addIssue({ code: 'custom', message: 'has no radio number' })
      return z.NEVER
    }
    const deviceId = r.deviceId ?? r.device_id ?? r.imei
    const at = r.updatedAt ?? r.timestamp ?? r.time
    const parsedAt = at === undefined ? NaN : typeof at === 'number' ? at : Date.parse(at)
    return {
      radioNo: String(radioNo),
      deviceId: deviceId === undefined ? null : String(deviceId),
      name: r.name ?? r.callsign ?? null,
      lat: r.lat ?? r.latitude ?? null,
      lng: r.lng ?? r.lon ?? r.longitude ?? null,
      at: Number.isFinite(parsedAt) ? parsedAt : null,
    }
  })
export type RadioFeedEntry = z.output<typeof RadioFeedItem>

/** The feed: a list, or an object holding it under `data`, `items`, `devices` or `locations`. */
export const RadioFeed = z.union([
  z.array(z.unknown()),
  z.object({ data: z.array(z.unknown()) }),
  z.object({ items: z.array(z.unknown()) }),
  z.object({ devices: z.array(z.unknown()) }),
  z.object({ locations: z.array(z.unknown()) }),
])

export const RadioDevice = z
  .object({
    id: z.string().openapi({ description: 'The device id, else the radio number' }),
    radioNo: z.string(),
    deviceId: z.string().nullable(),
    name: z.string().nullable(),
    fetchedAt: z.string().openapi({ description: 'When Switchboard last read it from the radio API' }),
  })
  .openapi('RadioDevice')

export const RadioLocation = z
  .object({
    radioNo: z.string(),
    name: z.string().nullable(),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
    at: z.string().nullable().openapi({ description: 'The position’s time as the radio API gave it' }),
    fetchedAt: z.string(),
  })
  .openapi('RadioLocation')

export const RadioIdParam = z.object({ id: z.string().min(1).max(64) })
export const RadioNoParam = z.object({ radioNo: z.string().min(1).max(64) })
