import { describe, expect, it } from 'vitest'
import { upgradeResponse } from '../../src/objects/upgrade-response'

// What a real client negotiates through workerd's HTTP layer is checked in
// test/e2e/ws-compression.test.ts; here, what the answer asks of that layer.
describe('upgradeResponse', () => {
  it('should name no extension workerd implements when compression is off', () => {
    const { 0: client, 1: server } = new WebSocketPair()
    server.accept()
    const res = upgradeResponse(client, false)
    expect(res.status).toBe(101)
    expect(res.webSocket).toBe(client)
    expect(res.headers.get('sec-websocket-extensions')).toBe('none')
  })

  it('should leave the negotiation to workerd when compression is on', () => {
    const { 0: client, 1: server } = new WebSocketPair()
    server.accept()
    const res = upgradeResponse(client, true)
    expect(res.status).toBe(101)
    expect(res.headers.has('sec-websocket-extensions')).toBe(false)
  })
})
