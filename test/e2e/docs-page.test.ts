import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baseUrl } from './helpers'

// The API reference page in a real browser (Debian's Chromium; .ci/run installs it).
const CHROMIUM = '/usr/bin/chromium'
const available = existsSync(CHROMIUM)
let browser: Browser

beforeAll(async () => {
  if (!available) return
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
})

afterAll(async () => {
  await browser?.close()
})

describe.skipIf(!available)('GET /docs in Chromium', () => {
  it('should list the operations of /openapi.json and filter them', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`${baseUrl()}/docs`)
    await page.waitForSelector('details.op')
    const spec = (await (await fetch(`${baseUrl()}/openapi.json`)).json()) as {
      paths: Record<string, object>
    }
    const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0)
    expect(await page.locator('details.op').count()).toBe(operations)
    expect(await page.locator('#info').textContent()).toMatch(/^Switchboard \d+\.\d+\.\d+$/)

    await page.fill('#filter', '/api/v1/auth/register')
    await expect.poll(() => page.locator('details.op').count()).toBe(1)
    await page.click('details.op summary')
    const detail = await page.locator('details.op').textContent()
    expect(detail).toContain('POST')
    expect(detail).toContain('"email"')
    expect(errors).toEqual([])
    await page.close()
  })
})
