import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'

/**
 * The browser pages with dynamic paths, served from the static assets (web/, wrangler.toml
 * [assets]): `/` for browsers (the landing page; JSON clients get the gateway's answer), the
 * caller's page at the share URLs `/link/create` hands out (`/join|hls|car/<linkID>`), the live
 * session page at invite links (`/live/<id>`). `/docs` moved to `/reference/`. Files with fixed
 * paths (`/console/`, `/reference/`) are answered by the assets layer without the Worker.
 */
export const pageRoutes = new Hono<AppEnv>()
// Mounted after the gateway, so `/car/task` and `/car/list` stay API routes.

/** Paths of HTML pages (not API routes; /openapi.json leaves them out). */
export const PAGE_PATHS = [
  '/docs',
  '/console',
  '/admin-ui',
  '/join/:linkID',
  '/hls/:linkID',
  '/car/:linkID',
  '/live/:session_id',
]

/** The asset at `path` (a folder: its index.html), as an HTML page. */
async function page(c: Context<AppEnv>, path: string): Promise<Response> {
  const res = await c.env.ASSETS.fetch(new URL(path, c.req.url))
  return new Response(res.body, {
    status: res.status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
  })
}

/** Whether the caller is a browser asking for a page (its Accept names text/html). */
const wantsHtml = (c: Context<AppEnv>) => (c.req.header('accept') ?? '').includes('text/html')

/** `GET /` for browsers: the landing page; anyone else falls through to the gateway's JSON answer. */
export const landingForBrowsers = async (c: Context<AppEnv>, next: () => Promise<void>) =>
  wantsHtml(c) ? page(c, '/landing/') : next()

pageRoutes.get('/docs', (c) => c.redirect('/reference/', 301))
pageRoutes.get('/console', (c) => c.redirect('/console/', 301))
pageRoutes.get('/admin-ui', (c) => c.redirect('/admin-ui/', 301))
for (const kind of ['join', 'hls', 'car']) pageRoutes.get(`/${kind}/:linkID`, (c) => page(c, '/caller/'))
pageRoutes.get('/live/:session_id', (c) => page(c, '/live/'))
