import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { db, type Db } from '../db/client'
import type { AppEnv } from '../env'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { staffOnly } from './access'
import { gatewayResponses } from '../schemas/common'
import { RadioDevice, RadioIdParam, RadioLocation, RadioNoParam } from '../schemas/radio'
import * as radio from '../services/radio'

/**
 * Seed 000 `/radio`: radio devices and their positions, read from the radio location API
 * (RADIO_LOCATION_API_*) and cached in D1 for RADIO_CACHE_SECONDS. Staff only.
 */
export const gatewayRadioRoutes = router()

const common = {
  tags: ['Gateway: radio'],
  ...staffOnly,
  description:
    'Read through D1’s cache (fresh for RADIO_CACHE_SECONDS). When the radio API fails, the cache is served with a `message` saying so; with no cache, 503 (not configured or unreachable) or 502 (an unusable answer).',
}
const failures = [401, 403, 502, 503] as const

/** Refreshes the cache if due, then answers `read`'s result, saying when it came from a stale cache. */
async function fromCache<T>(c: Context<AppEnv>, read: (d: Db) => Promise<T>) {
  const d = db(c.env.DB)
  const source = await radio.refreshRadio(d, c.var.config)
  return success(c, await read(d), radio.staleNote(source))
}

gatewayRadioRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/device',
    summary: 'Radio devices, by radio number',
    responses: gatewayResponses(z.array(RadioDevice), 'Devices', [...failures]),
  }),
  (c) => fromCache(c, async (d) => (await radio.listRadios(d)).map(radio.deviceView)),
)

gatewayRadioRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/device/{id}',
    summary: 'One radio device by its device id (or radio number)',
    request: { params: RadioIdParam },
    responses: gatewayResponses(RadioDevice, 'The device', [...failures, 404]),
  }),
  (c) => fromCache(c, async (d) => radio.deviceView(await radio.getRadioDevice(d, c.req.valid('param').id))),
)

gatewayRadioRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/location',
    summary: 'Every radio’s last position',
    responses: gatewayResponses(z.array(RadioLocation), 'Positions', [...failures]),
  }),
  (c) => fromCache(c, async (d) => (await radio.listRadios(d)).map(radio.locationView)),
)

gatewayRadioRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/location/{radioNo}',
    summary: 'One radio’s last position',
    request: { params: RadioNoParam },
    responses: gatewayResponses(RadioLocation, 'The position', [...failures, 404]),
  }),
  (c) =>
    fromCache(c, async (d) => radio.locationView(await radio.getRadioByNo(d, c.req.valid('param').radioNo))),
)
