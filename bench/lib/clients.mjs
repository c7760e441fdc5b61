// Client adapters for the fan-out engine: the real socket.io-client, and `ws` for the JSON protocol.
import { io } from 'socket.io-client'
import WebSocket from 'ws'
import { findStamps } from './fanout.mjs'

/**
 * socket.io-client against `${base}${nsp}`: one connection per socket (forceNew), websocket
 * transport unless `transports` says otherwise (`'default'`: the client's defaults, long-polling
 * then the upgrade — each socket counts as open once upgraded). `payload(text)` builds the
 * chat-message argument; `event` is what is sent and heard.
 */
export function sioAdapter({
  base,
  nsp,
  auth,
  query,
  transports = ['websocket'],
  event = 'chat-message',
  payload = (text) => ({ message: text }),
}) {
  return {
    open(n, onStamps) {
      return new Promise((resolve, reject) => {
        const socket = io(base + nsp, {
          ...(transports === 'default' ? {} : { transports }),
          // BENCH_NO_DEFLATE=1: the clients do not offer permessage-deflate (a diagnostic: browsers
          // and socket.io-client's defaults do, and local workerd then deflates every frame per socket).
          ...(process.env.BENCH_NO_DEFLATE ? { perMessageDeflate: false } : {}),
          forceNew: true,
          reconnection: false,
          timeout: 20_000,
          auth: typeof auth === 'function' ? auth(n) : auth,
          query,
        })
        const fail = (err) => {
          socket.close()
          // A transport error carries what went wrong below it: the HTTP status or the socket error.
          const why = err?.description?.message ?? err?.description
          const answer =
            why !== undefined
              ? ` (${why}${err?.context?.responseText ? `: ${String(err.context.responseText).slice(0, 120)}` : ''})`
              : ''
          reject(new Error(`socket.io connect ${nsp}: ${err?.message ?? err}${answer}`))
        }
        socket.once('connect_error', fail)
        // The default path must really start on long-polling (a run that silently opened
        // WebSockets would report the WebSocket-only path under the default path's name).
        if (transports === 'default')
          socket.io.once('open', () => {
            const first = socket.io.engine.transport.name
            if (first !== 'polling') fail(new Error(`opened on ${first}, not long-polling`))
          })
        const ready = () => {
          socket.off('connect_error', fail)
          resolve({
            socket,
            send: (text) => socket.emit(event, payload(text)),
            close: () => socket.close(),
          })
        }
        socket.once('connect', () => {
          const engine = socket.io.engine
          if (transports !== 'default' || engine.transport.name === 'websocket') return ready()
          engine.once('upgrade', ready)
        })
        if (onStamps)
          socket.on(event, (...args) => {
            const seq = typeof args[0] === 'object' && args[0] ? args[0].seq : undefined
            onStamps([...new Set(findStamps(args))], seq)
          })
      })
    },
  }
}

/**
 * Opens a raw `ws` socket, resolving once it is open (or the first message if `waitFor` says so).
 * `onMessage` is attached before the upgrade completes: frames that arrive in the same read as
 * the 101 response are not missed. `deflate`: offer permessage-deflate, as browsers and `ws`'s own
 * default do (the runtime then deflates every frame once per socket) — what the fan-out's clients
 * do; the bench's tools (raw Engine.IO sockets, fuzzing, the sharded session's 19,500 sockets)
 * decline it. BENCH_NO_DEFLATE=1 declines it everywhere (a diagnostic).
 */
export function openWs(url, { waitFor, onMessage, timeoutMs = 20_000, deflate = false } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: deflate && !process.env.BENCH_NO_DEFLATE })
    if (onMessage) ws.on('message', onMessage)
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`ws open timed out: ${url}`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      resolve(ws)
    }
    ws.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer)
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => reject(new Error(`ws ${res.statusCode}: ${body.slice(0, 300)}`)))
    })
    if (!waitFor) ws.once('open', done)
    else {
      const onMsg = (data) => {
        if (waitFor(String(data))) {
          ws.off('message', onMsg)
          done()
        }
      }
      ws.on('message', onMsg)
    }
  })
}

/**
 * The JSON WebSocket chat protocol (seed 003): `send_message` frames out; `new_message` frames in
 * — or, in batch mode, whatever batched frame the server sends; stamps are found anywhere in it.
 */
export function jsonWsAdapter({ url, sendFrame, ready }) {
  return {
    async open(n, onStamps) {
      const onMessage =
        onStamps &&
        ((data) => {
          const text = String(data)
          if (!text.includes('b|')) return
          const msg = JSON.parse(text)
          onStamps([...new Set(findStamps(msg))], msg?.seq ?? msg?.data?.seq)
        })
      // As a browser: permessage-deflate offered.
      const ws = await openWs(typeof url === 'function' ? url(n) : url, {
        waitFor: ready,
        onMessage,
        deflate: true,
      })
      return {
        ws,
        send: (text, s, i) => ws.send(JSON.stringify(sendFrame(text, s, i))),
        close: () => ws.close(),
      }
    },
  }
}
