import { describe, expect, it } from 'vitest'
import { SHOTS, useChromium, watchPage } from './browser'
import { baseUrl } from './helpers'

// The landing page and the API reference in a real browser (Debian's Chromium; .ci/run installs it).
const chrome = useChromium('browser tests of the landing page and the reference')

describe.skipIf(!chrome.available)('the landing page and the API reference in Chromium', () => {
  it('should answer / with links to the console, the reference and the health check', async () => {
    const page = await chrome.browser().newPage()
    await page.goto(`${baseUrl()}/`)
    expect(await page.title()).toBe('Switchboard')
    await page.click('#to-reference')
    await page.waitForURL(/\/reference\/#openapi$/)
    await page.close()
  })

  it('should render /openapi.json with Swagger UI (every operation, filterable) and /asyncapi.json with the AsyncAPI component', async () => {
    const page = await chrome.browser().newPage({ viewport: { width: 1280, height: 900 } })
    const { errors, outside } = watchPage(page)
    await page.goto(`${baseUrl()}/docs`)
    expect(page.url()).toMatch(/\/reference\/#openapi$/)
    await page.waitForSelector('.opblock')
    // Swagger UI renders its list virtually (only what is on screen): ask it what it parsed.
    const spec = (await (await fetch(`${baseUrl()}/openapi.json`)).json()) as {
      paths: Record<string, object>
    }
    const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0)
    const parsed = await page.evaluate(
      () => (globalThis as any).swaggerUi.specSelectors.operations().size as number,
    )
    expect(parsed).toBe(operations)
    await page.screenshot({ path: `${SHOTS}/reference-openapi.png` })

    await page.fill('.operation-filter-input', 'Chat')
    await page
      .locator('.opblock-summary-path', { hasText: /^\/api\/v1\/chat\/ws$/ })
      .first()
      .click()
    await page.waitForSelector('.opblock.is-open')
    const open = (await page.locator('.opblock.is-open').textContent()) ?? ''
    for (const s of ['101', '426', 'room_id']) expect(open, s).toContain(s)

    await page.click('#tab-asyncapi')
    await page.waitForSelector('#asyncapi #introduction', { timeout: 90_000 })
    const text = (await page.locator('#asyncapi').textContent()) ?? ''
    for (const name of [
      'Switchboard realtime',
      '/api/v1/chat/ws',
      'send_message',
      'new_message',
      'chat-message',
      '/notification',
    ])
      expect(text, name).toContain(name)
    await page.screenshot({ path: `${SHOTS}/reference-asyncapi.png` })
    expect(errors).toEqual([])
    expect(outside).toEqual([])
    await page.close()
  }, 180_000)
})
