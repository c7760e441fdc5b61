import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { app } from '../../src/worker/app'
import { call, json } from '../helpers'

// The pages (web/dist) are a Worker of their own (web/wrangler.toml, static assets only) that this
// Worker reaches through its ASSETS service binding: routes serve the pages with dynamic paths, and
// a GET no route serves is passed to it (src/worker/routes/pages.ts). In the test pool the pages
// Worker is an auxiliary worker built from web/wrangler.toml (vitest.config.mts).

/** The app with an ASSETS binding that counts its calls and answers as the real one does. */
function countingPages() {
  const fetch = vi.fn((input: RequestInfo | URL, init?: RequestInit) => env.ASSETS.fetch(input, init))
  const pagesEnv = { ...env, ASSETS: { fetch, connect: env.ASSETS.connect } as unknown as Fetcher }
  const request = (path: string, init?: RequestInit) =>
    app.fetch(new Request(`http://localhost${path}`, init), pagesEnv, createExecutionContext())
  return { fetch, request }
}

describe('pages through the ASSETS service binding', () => {
  it('should serve the files of the pages Worker at their own paths', async () => {
    for (const [path, type] of [
      ['/style.css', /^text\/css/],
      ['/console/', /^text\/html/],
      ['/console/app.js', /javascript/],
      ['/reference/', /^text\/html/],
      ['/admin-ui/', /^text\/html/],
    ] as const) {
      const res = await call(path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type'), path).toMatch(type)
      expect((await res.text()).length, path).toBeGreaterThan(0)
    }
  })

  it('should serve a page’s own files under its dynamic path, and the page at every other name there', async () => {
    const script = await call('/live/app.js')
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    const caller = await call('/caller/app.js')
    expect(caller.headers.get('content-type')).toMatch(/javascript/)
    await caller.body?.cancel()
    const page = await call('/live/a-session-id')
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await page.text()).toContain('/live/app.js')
    await script.body?.cancel()
  })

  it('should keep the pages Worker’s answers: HEAD, revalidation and a folder’s trailing slash', async () => {
    const get = await call('/style.css')
    const etag = get.headers.get('etag')
    expect(etag).toBeTruthy()
    await get.body?.cancel()
    const head = await call('/style.css', { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    expect((await call('/style.css', { headers: { 'if-none-match': etag! } })).status).toBe(304)
    const index = await call('/console/index.html', { redirect: 'manual' })
    expect(index.status).toBe(307)
    expect(index.headers.get('location')).toBe('/console/')
  })

  it('should add the API’s headers (request id, CORS exposure) to a page file', async () => {
    const res = await call('/style.css')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id')
  })

  it('should answer the API’s JSON 404 for a path neither serves, and for a file asked for with POST', async () => {
    const none = await call('/no-such-page.html')
    expect(none.status).toBe(404)
    expect(await json(none)).toMatchObject({ status: 'FAIL', data: { code: 'not_found' } })
    const post = await call('/style.css', { method: 'POST' })
    expect(post.status).toBe(404)
    expect(await json(post)).toMatchObject({ data: { code: 'not_found' } })
  })

  it('should answer the API’s JSON 404 when the pages Worker cannot be reached', async () => {
    const pagesEnv = {
      ...env,
      ASSETS: {
        fetch: () => Promise.reject(new Error('Worker "switchboard-web" not found')),
      } as unknown as Fetcher,
    }
    const res = await app.fetch(
      new Request('http://localhost/no-such-page.html'),
      pagesEnv,
      createExecutionContext(),
    )
    expect(res.status).toBe(404)
    expect(await json(res)).toMatchObject({ data: { code: 'not_found' } })
  })

  it('should not ask the pages Worker for API routes, or for a wrong method on one', async () => {
    const { fetch, request } = countingPages()
    expect((await request('/health')).status).toBe(200)
    expect((await request('/api/v1/auth/me')).status).toBe(401)
    expect((await request('/openapi.json')).status).toBe(200)
    const polling = await request('/socket.io/?EIO=4&transport=polling')
    expect(await polling.text()).toMatch(/^0\{"sid":/)
    const wrongMethod = await request('/health', { method: 'DELETE' })
    expect(wrongMethod.status).toBe(405)
    const getOnPostRoute = await request('/api/v1/auth/login')
    expect(getOnPostRoute.status).toBe(405)
    expect(fetch).not.toHaveBeenCalled()
    expect((await request('/style.css')).status).toBe(200)
    expect((await request('/no-such-page.html')).status).toBe(404)
    expect(fetch).toHaveBeenCalledTimes(2)
  })

  it('should make one pages-Worker call per page view, and per file, under a dynamic path', async () => {
    const { fetch, request } = countingPages()
    const live = await request('/live/0mwzjrfoft78ylj1d7v4f')
    expect(live.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await live.text()).toContain('/live/app.js')
    expect(fetch).toHaveBeenCalledTimes(1)
    const caller = await request('/join/Ab_c-9xYz')
    expect(await caller.text()).toContain('/caller/app.js')
    expect(fetch).toHaveBeenCalledTimes(2)
    const script = await request('/live/app.js')
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    await script.body?.cancel()
    expect(fetch).toHaveBeenCalledTimes(3)
    // A dotted name that is no file is not a page id either: the API's 404, not the page.
    const none = await request('/live/nothing.js')
    expect(none.status).toBe(404)
    expect(await json(none)).toMatchObject({ data: { code: 'not_found' } })
    expect(fetch).toHaveBeenCalledTimes(4)
  })
})
