import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { signWebhook } from '../../src/worker/lib/webhook-signature'

// The README's receiver snippet, run as written against signatures the Worker makes (Node's crypto
// on one side, Web Crypto on the other), so the documentation cannot drift from the product.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const snippet = readme.match(/```js\n(import \{ createHmac, timingSafeEqual \}[\s\S]*?)```/)![1]

async function loadSnippet(): Promise<
  (secret: string, headers: Record<string, string>, body: string, tolerance?: number) => boolean
> {
  const source = `${snippet}\nexport { verifySwitchboard }\n`
  const mod = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)
  return mod.verifySwitchboard
}

describe('README webhook verification snippet', () => {
  it('should accept a delivery the Worker signed and refuse a tampered or stale one', async () => {
    const verify = await loadSnippet()
    const secret = 'whsec_test-secret'
    const body = JSON.stringify({ events: [{ id: 'e1', type: 'case.created', data: { title: 'ร้อน' } }] })
    const ts = Math.floor(Date.now() / 1000)
    const headers = {
      'x-switchboard-timestamp': String(ts),
      'x-switchboard-signature': await signWebhook(secret, ts, body),
    }
    expect(verify(secret, headers, body)).toBe(true)
    expect(verify(secret, headers, body.replace('e1', 'e2'))).toBe(false)
    expect(verify('whsec_other', headers, body)).toBe(false)
    const old = ts - 3600
    const stale = {
      'x-switchboard-timestamp': String(old),
      'x-switchboard-signature': await signWebhook(secret, old, body),
    }
    expect(verify(secret, stale, body)).toBe(false)
  })
})
