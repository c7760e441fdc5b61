// The platform floor: a bare Durable Object that answers the Socket.IO handshake (Engine.IO open +
// namespace CONNECT reply) and re-sends every other frame, untouched, to every socket in the room.
// No auth, no parsing, no storage — whatever Switchboard does on top of this is its own cost.
// `/rest/ok` and `/rest/d1` are the REST floor: a bare answer, and one with one local D1 query;
// `/rest/refresh` and `/rest/generate` those two calls' unavoidable work without a framework, on
// Switchboard's tables (./rest-calls.js).
// For the "where time goes" runs, `?mode=` adds one step of the real send path at a time:
//   parse — JSON.parse the event and re-encode it once (JSON.stringify) before the broadcast;
//   store — parse + a SQLite append per message (SELECT max(seq) + INSERT, as a chat log does);
//   durable — the frame appended to SQLite with the next seq, in Switchboard's write batches, then
//     relayed untouched: what a durable, ordered room cannot skip (its sends wait for the commit);
//   contract — parse, and send the frame seed 000's `chat-message` carries in Switchboard (id,
//     seq, room, sender, type, created_at, and the recovery offset): the same bytes per send as
//     Switchboard's, nothing stored — what the bytes alone cost.
import { DurableObject } from 'cloudflare:workers'
// Switchboard's own id generator: a reference sending "the same bytes" sends ids of the same length.
import { newId } from '../../src/worker/lib/ids.ts'
// Switchboard's own 101 answer: the floor's sockets compress exactly when Switchboard's do
// (`WS_COMPRESSION`, off unless the bench's BENCH_WS_COMPRESSION=1).
import { upgradeResponse } from '../../src/objects/upgrade-response.ts'
// Switchboard's rooms' write batching: the durable mode stores as they do.
import { WriteBatch } from '../../src/objects/room/write-batch.ts'
import { generate, refresh, refreshLogin } from './rest-calls.js'

// The floor sends no pings, so it tells clients to expect none for an hour: socket.io-client closes
// a socket that hears no ping for pingInterval + pingTimeout, and the bench holds its connections
// for minutes (the fan-out's rounds alternate between subjects).
const OPEN = '0{"sid":"floor","upgrades":[],"pingInterval":3600000,"pingTimeout":20000,"maxPayload":1000000}'

export class Floor extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env)
    this.sockets = new Set(ctx.getWebSockets())
    this.mode = [...this.sockets][0]?.deserializeAttachment()?.mode ?? ''
    // Engine.IO pongs are absorbed without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('3', '6'))
  }

  async fetch(request) {
    if (request.headers.get('upgrade') !== 'websocket') {
      return new Response(String(this.sockets.size))
    }
    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server)
    this.mode = new URL(request.url).searchParams.get('mode') ?? ''
    server.serializeAttachment({ mode: this.mode })
    this.sockets.add(server)
    server.send(OPEN)
    return upgradeResponse(client, this.env.WS_COMPRESSION === 'true')
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
    if (this.mode === 'durable' && typeof message === 'string' && message.startsWith('42')) {
      this.durable(message)
      return
    }
    let frame = message
    if (this.mode && typeof message === 'string' && message.startsWith('42')) frame = this.step(message)
    this.relay(frame)
  }

  /** Sends `frame` to every socket in the room. */
  relay(frame) {
    for (const s of this.sockets) {
      try {
        s.send(frame)
      } catch {
        this.sockets.delete(s)
      }
    }
  }

  /**
   * `durable`: each message appended to SQLite with the next seq before anyone receives it, in
   * Switchboard's own write batches (the messages that arrive before a zero-delay timer fires share
   * one commit); the frames leave once that commit is durable (output gate).
   */
  durable(message) {
    if (!this.batch) {
      this.seq = this.lastSeq()
      this.batch = new WriteBatch()
    }
    void this.batch.run(() => {
      this.append(++this.seq, message)
      this.relay(message)
    })
  }

  /** The newest seq of the `store` / `durable` modes' log (its table made on first use). */
  lastSeq() {
    const sql = this.ctx.storage.sql
    if (!this.ready) {
      sql.exec(
        'CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)',
      )
      this.ready = true
    }
    return sql.exec('SELECT max(seq) AS seq FROM log').one().seq ?? 0
  }

  append(seq, body) {
    this.ctx.storage.sql.exec('INSERT INTO log (seq, body, at) VALUES (?, ?, ?)', seq, body, Date.now())
  }

  /** The optional send-path steps (see the file comment). */
  step(message) {
    const start = message.indexOf('[')
    const [name, payload] = JSON.parse(message.slice(start))
    if (this.mode === 'contract') {
      const seq = (this.seq = (this.seq ?? 0) + 1)
      const comma = message.indexOf(',')
      const room = message[2] === '/' && comma > 0 && comma < start ? message.slice(3, comma) : 'room'
      const frame = {
        ...payload,
        id: newId(),
        seq,
        room,
        sender: { identity: `bench-${room}`, name: `bench-${room}` },
        type: 'text',
        created_at: new Date().toISOString(),
      }
      return `${message.slice(0, start)}${JSON.stringify([name, frame, String(seq)])}`
    }
    let seq = 0
    if (this.mode !== 'parse') {
      seq = this.lastSeq() + 1
      this.append(seq, JSON.stringify(payload))
    }
    return `${message.slice(0, start)}${JSON.stringify([name, { ...payload, seq }])}`
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
  async fetch(request, env) {
    const url = new URL(request.url)
    // The REST floor: a bare Worker answer, and one with a single D1 round trip (`SELECT 1`).
    if (url.pathname === '/rest/ok') return new Response('{"ok":true}')
    if (url.pathname === '/rest/d1') {
      const one = await env.DB.prepare('SELECT 1 AS one').first('one')
      return new Response(`{"ok":${one === 1}}`)
    }
    // Two calls' unavoidable work without a framework, on Switchboard's tables (./rest-calls.js).
    if (url.pathname === '/rest/refresh-login') return refreshLogin(env)
    if (url.pathname === '/rest/refresh') return refresh(request, env)
    if (url.pathname === '/rest/generate') return generate(request, env)
    const room = url.searchParams.get('room') ?? 'room'
    const mode = url.searchParams.get('mode') ?? ''
    return env.FLOOR.get(env.FLOOR.idFromName(`${room}:${mode}`)).fetch(request)
  },
}
