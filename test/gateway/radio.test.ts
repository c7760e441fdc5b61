import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { app } from '../../src/worker/app'
import { db } from '../../src/worker/db/client'
import { radioCache } from '../../src/worker/db/schema'
import { json, mintToken } from '../helpers'

const FEED_URL = 'https://radio.test/locations'

/** Calls the app with the radio API configured (a fresh env object gets its own validated config). */
async function callRadio(
  path: string,
  vars: Record<string, string> = {},
  role: 'agent' | 'member' = 'agent',
) {
  const radioEnv = {
    ...env,
    RADIO_LOCATION_API_URL: FEED_URL,
    RADIO_LOCATION_API_CREDENTIALS_USERNAME: 'ops',
    RADIO_LOCATION_API_CREDENTIALS_PASSWORD: 's3cret',
    ...vars,
  }
  const req = new Request(`http://localhost${path}`, {
    headers: { authorization: `Bearer ${await mintToken(role)}` },
  })
  return app.fetch(req, radioEnv, createExecutionContext())
}

/** Stands in for the radio API; other fetches (none expected) fail the test. */
function stubFeed(answer: () => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit }[] = []
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    if (String(input) !== FEED_URL) throw new Error(`unexpected fetch ${String(input)}`)
    calls.push({ url: String(input), init: init ?? {} })
    return answer()
  })
  return calls
}

const feed = [
  {
    radioNo: 'R-101',
    deviceId: 'DEV-1',
    name: 'Ambulance 1',
    lat: 13.75,
    lng: 100.5,
    updatedAt: '2026-11-21T10:00:00Z',
  },
  { radio_no: 202, imei: '356000', callsign: 'Rescue 2', latitude: '13.7', longitude: '100.6' },
  { name: 'no radio number: skipped', lat: 1, lng: 2 },
  { radioNo: 'R-303', lat: 91, lng: 0 }, // latitude out of range: skipped
]

beforeEach(async () => {
  await db(env.DB).delete(radioCache)
})
afterEach(() => vi.restoreAllMocks())

describe('/radio (seed 000) through the radio location API', () => {
  it('should read the feed with Basic auth, keep usable entries and answer devices and positions', async () => {
    const calls = stubFeed(() => Response.json(feed))
    const res = await callRadio('/radio/device')
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.status).toBe('SUCCESS')
    expect(body.data.map((d: { id: string }) => d.id)).toEqual(['356000', 'DEV-1']) // by radio number
    expect(body.data[0]).toMatchObject({ radioNo: '202', deviceId: '356000', name: 'Rescue 2' })
    expect(new Headers(calls[0].init.headers).get('authorization')).toBe(`Basic ${btoa('ops:s3cret')}`)

    const locations = (await json(await callRadio('/radio/location'))).data
    expect(locations).toEqual([
      expect.objectContaining({ radioNo: '202', lat: 13.7, lng: 100.6, at: null }),
      expect.objectContaining({ radioNo: 'R-101', lat: 13.75, lng: 100.5, at: '2026-11-21T10:00:00.000Z' }),
    ])
    const one = (await json(await callRadio('/radio/location/R-101'))).data
    expect(one).toMatchObject({ radioNo: 'R-101', name: 'Ambulance 1', lat: 13.75 })
    // By device id, and by radio number when the id is not a device id.
    expect((await json(await callRadio('/radio/device/DEV-1'))).data.radioNo).toBe('R-101')
    expect((await json(await callRadio('/radio/device/202'))).data.deviceId).toBe('356000')
    // Everything after the first call came from D1's cache.
    expect(calls).toHaveLength(1)
  })

  it('should ask again once the cache is older than RADIO_CACHE_SECONDS and apply what moved', async () => {
    let lat = 13.75
    const calls = stubFeed(() => Response.json([{ radioNo: 'R-101', lat, lng: 100.5 }]))
    await callRadio('/radio/location', { RADIO_CACHE_SECONDS: '0' })
    lat = 13.8
    const moved = (await json(await callRadio('/radio/location/R-101', { RADIO_CACHE_SECONDS: '0' }))).data
    expect(moved.lat).toBe(13.8)
    expect(calls).toHaveLength(2)
  })

  it('should serve the cache, saying so, when the radio API fails, and 503 with no cache', async () => {
    stubFeed(() => Promise.reject(new TypeError('connection refused')))
    const cold = await callRadio('/radio/location')
    expect(cold.status).toBe(503)
    expect((await json(cold)).message).toBe('Radio location API is unreachable')

    vi.restoreAllMocks()
    stubFeed(() => Response.json(feed))
    await callRadio('/radio/location')
    vi.restoreAllMocks()
    stubFeed(() => new Response('<html>maintenance</html>', { status: 200 }))
    const stale = await callRadio('/radio/location', { RADIO_CACHE_SECONDS: '0' })
    expect(stale.status).toBe(200)
    const body = await json(stale)
    expect(body.message).toBe('Served from cache: Radio location API answered something other than a list')
    expect(body.data).toHaveLength(2)
  })

  it('should answer 502 for an error reply and 503 naming the setting when not configured', async () => {
    stubFeed(() => new Response('nope', { status: 500 }))
    const bad = await callRadio('/radio/device')
    expect(bad.status).toBe(502)
    expect((await json(bad)).message).toBe('Radio location API answered 500')
    const off = await callRadio('/radio/device', { RADIO_LOCATION_API_URL: '' })
    expect(off.status).toBe(503)
    expect((await json(off)).message).toContain('RADIO_LOCATION_API_URL')
  })

  it('should answer 404 for an unknown radio, 400 for a bad id, 403 for a member, 401 without a token', async () => {
    stubFeed(() => Response.json(feed))
    expect((await callRadio('/radio/location/R-999')).status).toBe(404)
    const long = await callRadio(`/radio/device/${'x'.repeat(65)}`)
    expect(long.status).toBe(400)
    expect((await json(long)).data.details.fields[0].path).toBe('id')
    expect((await callRadio('/radio/device', {}, 'member')).status).toBe(403)
    const anonymous = await app.fetch(
      new Request('http://localhost/radio/device'),
      env,
      createExecutionContext(),
    )
    expect(anonymous.status).toBe(401)
  })
})
