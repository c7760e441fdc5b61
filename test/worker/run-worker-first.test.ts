import { describe, expect, it } from 'vitest'
import { app } from '../../src/worker/app'
import wranglerToml from '../../wrangler.toml?raw'

// wrangler.toml's `assets.run_worker_first` sends API paths straight to the Worker instead of
// looking each one up among the static files first. It must cover every API route (a route it
// misses still works, only slower); the browser pages are left to the static files.
const rules = JSON.parse(
  /^run_worker_first = (\[[^\]]*\])/m.exec(wranglerToml)![1].replace(/,\s*\]/, ']'),
) as string[]
const matches = (path: string) =>
  rules.some((rule) => new RegExp(`^${rule.split('*').map(escape).join('.*')}$`).test(path))
function escape(text: string) {
  return text.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')
}

/** Paths of the pages (web/dist) and their dynamic variants, which stay behind the static files. */
const PAGES = /^\/($|\*$|admin-ui|console|docs|join\/|live\/|hls\/)/

describe('assets.run_worker_first', () => {
  it('should send every API route straight to the Worker', () => {
    const missed = app.routes
      .filter((r) => !PAGES.test(r.path))
      .map((r) => r.path.replace(/:[^/]+/g, 'x'))
      .filter((path) => !matches(path))
    expect([...new Set(missed)]).toEqual([])
  })

  it('should leave the static pages to the static files', () => {
    for (const path of ['/console/', '/console/app.js', '/reference/', '/admin-ui/', '/style.css', '/'])
      expect(matches(path), path).toBe(false)
  })
})
