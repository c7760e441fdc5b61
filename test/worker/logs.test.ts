import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { app } from '../../src/worker/app'
import { db } from '../../src/worker/db/client'
import { liveKitNodes } from '../../src/worker/db/schema'
import { installLiveKitDouble } from '../livekit-double'
import { serviceToken } from '../helpers'

// Issue 16 item 10: log lines a person can act on. The app runs with LOG_LEVEL=info (the tests'
// default is error) and console is captured.
const lk = installLiveKitDouble()
const infoEnv = { ...env, LOG_LEVEL: 'info' }
let lines: Record<string, unknown>[] = []

beforeEach(() => {
  lk.reset()
  lines = []
  for (const method of ['log', 'warn', 'error'] as const)
    vi.spyOn(console, method).mockImplementation((text: unknown) => {
      try {
        lines.push(JSON.parse(String(text)))
      } catch {
        lines.push({ text: String(text) })
      }
    })
})
afterEach(async () => {
  vi.restoreAllMocks()
  for (const node of ['default', 'edge']) lk.setDown(node, false)
  // The nodes marked down in D1 are up again for whatever runs next.
  await db(env.DB).update(liveKitNodes).set({ healthy: true, lastError: null })
})

const request = (path: string, init: RequestInit = {}) =>
  app.fetch(new Request(`http://localhost${path}`, init), infoEnv, createExecutionContext())

describe('request logs', () => {
  it('should write one line per request, a failure with its error code and message', async () => {
    const res = await request('/api/v1/no-such-thing', { headers: { 'x-request-id': 'log-404' } })
    expect(res.status).toBe(404)
    const mine = lines.filter((l) => l.request_id === 'log-404')
    expect(mine).toEqual([
      expect.objectContaining({
        level: 'warn',
        method: 'GET',
        path: '/api/v1/no-such-thing',
        status: 404,
        error: { code: 'not_found', message: 'No route for GET /api/v1/no-such-thing' },
      }),
    ])
  })

  it('should name the fields of a validation failure in its line', async () => {
    await request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'log-400' },
      body: JSON.stringify({ password: 'x' }),
    })
    const [line] = lines.filter((l) => l.request_id === 'log-400')
    expect(line).toMatchObject({
      status: 400,
      error: { code: 'validation_failed', message: 'Invalid request: email' },
    })
  })

  it('should carry the request id on the warning that no LiveKit node answered', async () => {
    lk.setDown('default')
    lk.setDown('edge')
    const room = `log-lk-${Date.now().toString(36)}`
    const res = await request('/user/generate', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await serviceToken()}`,
        'x-request-id': 'log-livekit',
      },
      body: JSON.stringify({ room, userName: 'Ada', userType: 'agent' }),
    })
    expect(res.status).toBe(200)
    const warning = lines.find((l) => String(l.msg).startsWith('no LiveKit node reachable'))
    expect(warning).toMatchObject({ level: 'warn', request_id: 'log-livekit', room })
    expect(warning!.nodes).toEqual(expect.arrayContaining(['default', 'edge']))
    // …and the request's own line follows, once, with the same id.
    expect(lines.filter((l) => l.request_id === 'log-livekit' && l.path === '/user/generate')).toHaveLength(1)
  })

  it('should honour LOG_LEVEL for every line', async () => {
    const quiet = { ...env, LOG_LEVEL: 'error' }
    await app.fetch(
      new Request('http://localhost/api/v1/no-such-thing', { headers: { 'x-request-id': 'log-quiet' } }),
      quiet,
      createExecutionContext(),
    )
    expect(lines.filter((l) => l.request_id === 'log-quiet')).toEqual([])
  })
})
