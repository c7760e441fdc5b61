// Baseline (a): the system Switchboard replaces — a Node.js socket.io 4 server whose room
// namespaces `/{room}` broadcast chat events to everyone in the namespace, in memory, no
// persistence, no auth. Usage: node node-sio.mjs <port>
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const port = Number(process.argv[2] ?? 8832)
const httpServer = createServer((req, res) => {
  res.writeHead(200).end(String(io.engine.clientsCount))
})
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: 1e6 })

let seq = 0
io.of(/^\/[^/]+$/).on('connection', (socket) => {
  socket.on('chat-message', (msg, ack) => {
    // Like the legacy system: stamp and re-broadcast to the whole room.
    const out = { ...(typeof msg === 'object' && msg ? msg : { message: msg }), seq: ++seq }
    socket.nsp.emit('chat-message', out)
    if (typeof ack === 'function') ack({ ok: true, seq: out.seq })
  })
})

httpServer.listen(port, '127.0.0.1', () => console.log(`node-sio ready http://127.0.0.1:${port}`))
process.on('SIGTERM', () => process.exit(0))
