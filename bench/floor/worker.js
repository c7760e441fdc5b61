// The platform floor: a bare Durable Object that answers the Socket.IO handshake (Engine.IO open +
// namespace CONNECT reply) and re-sends every other frame, untouched, to every socket in the room.
// No auth, no parsing, no storage — whatever Switchboard does on top of this is its own cost.
import { DurableObject } from 'cloudflare:workers'

const OPEN = '0{"sid":"floor","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'

export class Floor extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env)
    this.sockets = new Set(ctx.getWebSockets())
    // Engine.IO pongs are absorbed without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('3', '6'))
  }

  async fetch(request) {
    if (request.headers.get('upgrade') !== 'websocket') {
      return new Response(String(this.sockets.size))
    }
    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server)
    this.sockets.add(server)
    server.send(OPEN)
    return new Response(null, { status: 101, webSocket: client })
  }

  webSocketMessage(ws, message) {
    if (typeof message === 'string' && message.startsWith('40')) {
      // "40" or "40/ns,{auth}" → "40/ns,{"sid":…}"
      const comma = message.indexOf(',')
      const ns =
        message.length > 2 && message[2] === '/' ? message.slice(2, comma < 0 ? undefined : comma) + ',' : ''
      ws.send(`40${ns}{"sid":"floor"}`)
      return
    }
    for (const s of this.sockets) {
      try {
        s.send(message)
      } catch {
        this.sockets.delete(s)
      }
    }
  }

  webSocketClose(ws, code) {
    this.sockets.delete(ws)
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code)
    } catch {}
  }

  webSocketError(ws) {
    this.sockets.delete(ws)
  }
}

export default {
  fetch(request, env) {
    const url = new URL(request.url)
    const room = url.searchParams.get('room') ?? 'room'
    return env.FLOOR.get(env.FLOOR.idFromName(room)).fetch(request)
  },
}
