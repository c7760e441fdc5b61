// Baseline (a): the system Switchboard replaces — a Node.js socket.io 4 server whose room
// namespaces `/{room}` announce joins and leaves and broadcast chat events to everyone in the
// namespace, in memory, no persistence, no auth. Usage: node node-sio.mjs <port>
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const port = Number(process.argv[2] ?? 8832)
const httpServer = createServer((req, res) => {
  res.writeHead(200).end(String(io.engine.clientsCount))
})
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: 1e6 })

let seq = 0
io.of(/^\/[^/]+$/).on('connection', (socket) => {
  // Presence, as the legacy room namespace announces it (seed 000 §4.2.1).
  const member = { identity: socket.id, room: socket.nsp.name.slice(1), socketId: socket.id }
  socket.broadcast.emit('user-connection', member)
  socket.on('disconnect', () => socket.broadcast.emit('user-disconnect', member))
  socket.on('chat-message', (msg, ack) => {
    // Like the legacy system: stamp and re-broadcast to the whole room.
    const out = { ...(typeof msg === 'object' && msg ? msg : { message: msg }), seq: ++seq }
    socket.nsp.emit('chat-message', out)
    if (typeof ack === 'function') ack({ ok: true, seq: out.seq })
  })
})

httpServer.listen(port, '127.0.0.1', () => console.log(`node-sio ready http://127.0.0.1:${port}`))
process.on('SIGTERM', () => process.exit(0))
