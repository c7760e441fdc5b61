import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { baseUrl, closeAll, connected, client, liveKitToken, staffToken, uniqueRoom, until } from './helpers'

afterEach(closeAll)

/** Opens a WebSocket with `ws`'s defaults (it offers permessage-deflate, as browsers do). */
function open(path: string): Promise<{ ws: WebSocket; answered?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(baseUrl().replace(/^http/, 'ws') + path)
    let answered: string | undefined
    ws.on('upgrade', (res) => (answered = res.headers['sec-websocket-extensions']))
    ws.on('open', () => resolve({ ws, answered }))
    ws.on('error', reject)
  })
}

describe('WebSocket compression (WS_COMPRESSION=false, the default)', () => {
  it('should decline permessage-deflate on the JSON protocol and still carry frames', async () => {
    const token = await staffToken()
    const { ws, answered } = await open(`/api/v1/chat/ws?token=${token}`)
    try {
      expect(answered).toBeUndefined()
      expect(ws.extensions).toBe('')
      const frames: string[] = []
      ws.on('message', (m) => frames.push(String(m)))
      ws.send(JSON.stringify({ type: 'no_such_frame' }))
      await until(() => frames.some((f) => JSON.parse(f).type === 'error'))
    } finally {
      ws.close()
    }
  })

  it('should decline it for socket.io-client with default options after the upgrade', async () => {
    const room = uniqueRoom()
    const s = client(`/${room}`, { auth: { token: await liveKitToken(room) } })
    await connected(s)
    await until(() => s.io.engine.transport.name === 'websocket')
    // engine.io-client offers permessage-deflate by default (perMessageDeflate: { threshold: 1024 }).
    const ws = (s.io.engine.transport as unknown as { ws: WebSocket }).ws
    expect(ws.extensions).toBe('')
    const ack = await s.emitWithAck('chat-message', 'uncompressed')
    expect(ack.seq).toBe(1)
  })
})
