import { existsSync, mkdirSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { baseUrl } from './helpers'

/** Debian's Chromium (.ci/run installs it); never a browser downloaded by playwright. */
export const CHROMIUM = '/usr/bin/chromium'
/** Where the browser tests leave their screenshots. */
export const SHOTS = 'test-artifacts/screenshots'

/**
 * One headless Chromium for a test file: launched before its tests, closed after them. `available`
 * is false (with a warning naming `what`) when there is no Chromium here; the file then skips its
 * tests (`describe.skipIf(!chrome.available)`). `browser()` is the running browser.
 */
export function useChromium(what: string): { available: boolean; browser: () => Browser } {
  const available = existsSync(CHROMIUM)
  if (!available) console.warn(`skipping ${what}: no Chromium at ${CHROMIUM}`)
  let running: Browser | undefined
  beforeAll(async () => {
    if (!available) return
    mkdirSync(SHOTS, { recursive: true })
    running = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
  })
  afterAll(async () => {
    await running?.close()
  })
  return {
    available,
    browser: () => {
      if (!running) throw new Error('Chromium is not running (only inside the tests of this file)')
      return running
    },
  }
}

/**
 * Collects what a page should never do: throw (`errors`), or load anything from another origin
 * than this server (`outside`; `data:` URLs are the page's own).
 */
export function watchPage(page: Page): { errors: string[]; outside: string[] } {
  const errors: string[] = []
  const outside: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('request', (r) => {
    if (!r.url().startsWith(baseUrl()) && !r.url().startsWith('data:')) outside.push(r.url())
  })
  return { errors, outside }
}
