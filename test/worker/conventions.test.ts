import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { loadConfig, type Config } from '../../src/worker/config'
import type { AppEnv } from '../../src/worker/env'
import { cors } from '../../src/worker/middleware/cors'
import { call, json } from '../helpers'

const base = {
  JWT_SECRET: 'x'.repeat(40),
  LIVEKIT_URL: 'http://lk',
  LIVEKIT_API_KEY: 'k',
  LIVEKIT_API_SECRET: 's',
}

function corsApp(vars: Record<string, string>) {
  const config: Config = loadConfig({ ...base, ...vars })
  const app = new Hono<AppEnv>()
  app.use('*', async (c, next) => {
    c.set('config', config)
    await next()
  })
  app.use('*', cors())
  app.get('/x', (c) => c.text('ok'))
  app.post('/x', (c) => c.text('ok'))
  const req = (origin: string) => app.request('/x', { headers: { origin } })
  /** A browser's preflight for a JSON POST with a bearer token. */
  req.preflight = (origin: string) =>
    app.request('/x', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    })
  return req
}

describe('CORS', () => {
  it('should echo a listed origin with credentials when allowed', async () => {
    const req = corsApp({ ALLOWED_ORIGINS: 'https://app.example', ALLOW_CREDENTIALS: 'true' })
    const res = await req('https://app.example')
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
  })

  it('should not allow an unlisted origin', async () => {
    const req = corsApp({ ALLOWED_ORIGINS: 'https://app.example', ALLOW_CREDENTIALS: 'true' })
    expect((await req('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull()
  })

  it('should answer * for a wildcard without credentials', async () => {
    const req = corsApp({ ALLOWED_ORIGINS: '*' })
    expect((await req('https://any.example')).headers.get('access-control-allow-origin')).toBe('*')
  })

  it('should answer a preflight from a listed origin with the methods, headers and credentials it may use', async () => {
    const req = corsApp({ ALLOWED_ORIGINS: 'https://app.example', ALLOW_CREDENTIALS: 'true' })
    const res = await req.preflight('https://app.example')
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect(res.headers.get('access-control-allow-methods')?.split(',')).toEqual(
      expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    )
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-request-id', 'x-api-key']),
    )
    expect(res.headers.get('access-control-max-age')).toBe('600')
    expect(res.headers.get('vary')).toMatch(/origin/i)
  })

  it('should give an unlisted origin’s preflight no origin to use', async () => {
    const req = corsApp({ ALLOWED_ORIGINS: 'https://app.example', ALLOW_CREDENTIALS: 'true' })
    const res = await req.preflight('https://evil.example')
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('should allow nothing by default in production and anything in development', async () => {
    expect((await corsApp({})('https://a.example')).headers.get('access-control-allow-origin')).toBeNull()
    expect(
      (await corsApp({ ENVIRONMENT: 'development' })('https://a.example')).headers.get(
        'access-control-allow-origin',
      ),
    ).toBe('*')
  })
})

describe('CORS through the Worker (any origin outside production, as the tests run)', () => {
  const origin = { origin: 'https://frontend.example' }

  it('should let a browser read an error answer: allowed origin and exposed request id', async () => {
    const res = await call('/api/v1/users/profile', { headers: origin })
    expect(res.status).toBe(401)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-request-id')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('should put the CORS headers on a Socket.IO long-polling answer, which a Durable Object gives', async () => {
    const res = await call('/socket.io/?EIO=4&transport=polling', { headers: origin })
    expect(res.status).toBe(200)
    expect((await res.text()).startsWith('0{')).toBe(true)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('should answer a preflight for a REST call before any route or auth runs', async () => {
    const res = await call('/api/v1/auth/refresh', {
      method: 'OPTIONS',
      headers: {
        ...origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
  })
})

describe('HTTP conventions', () => {
  it('should echo a sane x-request-id and mint one otherwise', async () => {
    expect(
      (await call('/health', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id'),
    ).toBe('abc-123')
    const minted = (await call('/health', { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get(
      'x-request-id',
    )
    expect(minted).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('should answer 413 in the right envelope for an oversized body, before parsing it', async () => {
    const big = JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(1_100_000), name: 'n' })
    const res = await call('/api/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    })
    expect(res.status).toBe(413)
    expect((await json(res)).error.code).toBe('payload_too_large')
  })

  it('should answer unknown routes with 404 in each family’s envelope', async () => {
    const modern = await call('/api/v1/nothing-here')
    expect(modern.status).toBe(404)
    expect((await json(modern)).success).toBe(false)
    const legacy = await call('/nothing-here')
    expect(legacy.status).toBe(404)
    expect((await json(legacy)).status).toBe('FAIL')
  })

  it('should report health with a live D1 check', async () => {
    const res = await call('/health')
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ status: 'SUCCESS', data: { service: 'switchboard', checks: { d1: 'ok' } } })
  })
})

describe('OpenAPI', () => {
  it('should document the auth golden path from the zod schemas', async () => {
    const spec = await json(await call('/openapi.json'))
    expect(spec.openapi).toBe('3.1.0')
    const register = spec.paths['/api/v1/auth/register'].post
    const schema = register.requestBody.content['application/json'].schema
    const resolved = schema.$ref ? spec.components.schemas[schema.$ref.split('/').pop()] : schema
    expect(resolved.required.sort()).toEqual(['email', 'name', 'password'])
    expect(Object.keys(register.responses)).toEqual(expect.arrayContaining(['201', '400', '409']))
  })

  it('should document every /api/v1 and gateway route the app serves, WebSocket endpoints included', async () => {
    const { app } = await import('../../src/worker/app')
    const { PAGE_PATHS } = await import('../../src/worker/routes/pages')
    const spec = await json(await call('/openapi.json'))
    const documented = new Set(
      Object.entries(spec.paths as Record<string, object>).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    )
    const undocumented = app.routes
      .filter((r) => r.method !== 'ALL' && !/^\/(openapi|asyncapi)\.json$/.test(r.path))
      .filter((r) => !PAGE_PATHS.includes(r.path))
      .map((r) => `${r.method} ${r.path}`)
      .filter((r) => !documented.has(r))
    expect([...new Set(undocumented)]).toEqual([])
  })

  it('should list the WebSocket endpoints: the upgrade, its query and its refusals', async () => {
    const spec = await json(await call('/openapi.json'))
    const chat = spec.paths['/api/v1/chat/ws'].get
    expect(Object.keys(chat.responses)).toEqual(
      expect.arrayContaining(['101', '400', '401', '403', '404', '426', '503']),
    )
    expect(chat.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['upgrade', 'token', 'room_id', 'since']),
    )
    expect(spec.paths['/ws/{session_id}/{user_id}/{user_type}'].get.responses['409']).toBeDefined()
    expect(spec.paths['/api/v1/live/sessions/{session_id}/ws'].get.responses['101']).toBeDefined()
    expect(Object.keys(spec.paths['/socket.io/'])).toEqual(['get', 'post'])
  })

  it('should serve /asyncapi.json naming the host it was asked on', async () => {
    const res = await call('/asyncapi.json')
    expect(res.status).toBe(200)
    const doc = await json(res)
    expect(doc.asyncapi).toBe('3.0.0')
    expect(doc.servers.websocket).toMatchObject({ host: 'localhost', protocol: 'ws' })
    expect(Object.keys(doc.channels)).toEqual(
      expect.arrayContaining(['chat', 'liveChat', 'liveSession', 'sioRoom', 'sioNotification']),
    )
  })

  it('should move /docs to the reference page, served from the static assets', async () => {
    const res = await call('/docs', { redirect: 'manual' })
    expect(res.status).toBe(301)
    expect(res.headers.get('location')).toBe('/reference/')
    const page = await env.ASSETS.fetch('http://localhost/reference/')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('/reference/reference.js')
    const script = await (await env.ASSETS.fetch('http://localhost/reference/reference.js')).text()
    expect(script).toContain("url: '/openapi.json'")
    expect(script).toContain("fetch('/asyncapi.json')")
    expect((await env.ASSETS.fetch('http://localhost/reference/vendor/swagger-ui-bundle.js')).status).toBe(
      200,
    )
  })

  it('should answer / with a landing page for browsers and JSON for everyone else', async () => {
    const html = await call('/', { headers: { accept: 'text/html,application/xhtml+xml' } })
    expect(html.headers.get('content-type')).toMatch(/text\/html/)
    const body = await html.text()
    for (const link of ['/console/', '/reference/', '/health']) expect(body).toContain(`href="${link}"`)
    const api = await call('/')
    expect(await json(api)).toMatchObject({
      status: 'SUCCESS',
      data: { service: 'switchboard', console: '/console/' },
    })
  })

  it('should serve the caller’s page at every share URL /link/create hands out, and keep /car/task an API route', async () => {
    for (const path of ['/join/AbCdEfGhIj', '/hls/AbCdEfGhIj', '/car/AbCdEfGhIj', '/live/some-session']) {
      const res = await call(path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/text\/html/)
    }
    expect((await call('/car/list')).status).toBe(401)
  })
})
