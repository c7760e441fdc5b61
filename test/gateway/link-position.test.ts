import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { liveKitNodes, loadConfig } from '../../src/worker/config'
import { mintUserToken } from '../../src/worker/lib/livekit'
import { call, json, mintToken } from '../helpers'

/** A raw Socket.IO client on `/{room}` over the websocket transport, inside workerd. */
async function roomSocket(room: string) {
  const res = await exports.default.fetch(
    new Request('http://localhost/socket.io/?EIO=4&transport=websocket', {
      headers: { Upgrade: 'websocket' },
    }),
  )
  const ws = res.webSocket
  if (!ws) throw new Error(`no websocket: ${res.status} ${await res.text()}`)
  ws.accept()
  const frames: string[] = []
  ws.addEventListener('message', (e) => {
    const text = String(e.data)
    if (text === '2') ws.send('3')
    else frames.push(text)
  })
  const waitFor = async (prefix: string) => {
    for (let i = 0; i < 200; i++) {
      const hit = frames.find((f) => f.startsWith(prefix))
      if (hit) return hit
      await new Promise((r) => setTimeout(r, 10))
    }
    throw new Error(`no frame starting with ${prefix}; got ${JSON.stringify(frames)}`)
  }
  await waitFor('0{')
  const token = await mintUserToken(liveKitNodes(loadConfig(env))[0], {
    room,
    identity: 'agent-watch',
    name: 'Watcher',
    userType: 'agent',
    ttl: 600,
  })
  ws.send(`40/${room},${JSON.stringify({ token })}`)
  await waitFor(`40/${room},`)
  return { ws, waitFor }
}

describe('link positions reach the room’s sockets', () => {
  it('should emit position to /{room} when a link holder posts lat/lng', async () => {
    const room = `pos-${Date.now().toString(36)}`
    const agent = await mintToken('agent')
    const link = (
      await json(
        await call('/link/create', {
          method: 'POST',
          token: agent,
          json: { room, userType: 'caller', userName: 'Caller A' },
        }),
      )
    ).data
    const { ws, waitFor } = await roomSocket(room)
    const res = await call('/link/update/latlng', {
      method: 'POST',
      json: { linkID: link.linkID, lat: 13.75, lng: 100.5, accuracy: 8 },
    })
    expect(res.status).toBe(200)
    const frame = await waitFor(`42/${room},["position"`)
    const [, payload] = JSON.parse(frame.slice(frame.indexOf(',') + 1))
    expect(payload).toEqual({
      lat: 13.75,
      lng: 100.5,
      accuracy: 8,
      identity: `link:${link.linkID}`,
      name: 'Caller A',
      userType: 'caller',
      linkID: link.linkID,
      source: 'link',
    })
    ws.close(1000)
  })
})
