import { Hono, type Context } from 'hono'
import type { AppEnv } from '../env'
import { log } from '../lib/log'

/**
 * The browser pages, served by the pages Worker (web/wrangler.toml, static assets only) through
 * the ASSETS service binding. Pages with dynamic paths are routes here: `/` for browsers (the
 * landing page; JSON clients get the gateway's answer), the caller's page at the share URLs
 * `/link/create` hands out (`/join|hls|car/<linkID>`), the live session page at invite links
 * (`/live/<id>`). `/docs` moved to `/reference/`. Files with fixed paths (`/console/`,
 * `/reference/`, `/style.css`) have no route: the app's not-found handler passes them on
 * (`fromPages`).
 */
export const pageRoutes = new Hono<AppEnv>()
// Mounted after the gateway, so `/car/task` and `/car/list` stay API routes.

/**
 * A page's id in its dynamic path: letters, digits, `_` and `-`, as link and session ids are. The
 * pages' own files there have a dot (`/live/app.js`, the live page's script), so they find no
 * route and the pages Worker serves them like every other file (`fromPages`): one call to it
 * either way.
 */
const ID = '{[\\w-]+}'

/** Paths of HTML pages (not API routes; /openapi.json leaves them out). */
export const PAGE_PATHS = [
  '/docs',
  '/console',
  '/admin-ui',
  `/join/:linkID${ID}`,
  `/hls/:linkID${ID}`,
  `/car/:linkID${ID}`,
  `/live/:session_id${ID}`,
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
for (const kind of ['join', 'hls', 'car']) pageRoutes.get(`/${kind}/:linkID${ID}`, (c) => page(c, '/caller/'))
pageRoutes.get(`/live/:session_id${ID}`, (c) => page(c, '/live/'))

/**
 * A GET or HEAD no route answers, as the pages Worker answers it (its files, its redirects to a
 * folder's trailing slash, its 304s); undefined when it has no such file either, so the caller
 * answers the API's own 404 — and when the pages Worker cannot be reached (not deployed, or
 * `wrangler dev` run without it), which is logged: the API's answers never depend on it.
 */
export async function fromPages(c: Context<AppEnv>): Promise<Response | undefined> {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return undefined
  let res: Response
  try {
    res = await c.env.ASSETS.fetch(c.req.raw)
  } catch (err) {
    log('warn', { msg: 'pages Worker unreachable', path: c.req.path, error: String(err) })
    return undefined
  }
  // A copy: a fetched response's headers are immutable, and the middlewares add theirs.
  if (res.status !== 404) return new Response(res.body, res)
  await res.body?.cancel()
  return undefined
}
