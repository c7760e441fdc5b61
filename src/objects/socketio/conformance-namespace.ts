import type { NamespaceHandler } from './namespace'

/**
 * The reference namespaces of the official Socket.IO protocol test suite (socketio/socket.io-protocol,
 * mounted as `/` and `/custom` only with SOCKETIO_CONFORMANCE=true): on connect it emits `auth` with
 * the handshake's auth payload, answers `message` with `message-back` (same arguments, binary
 * included) and acknowledges `message-with-ack` with its arguments. Other events are ignored, as
 * on a socket.io server without a listener for them.
 */
export const conformanceNamespace: NamespaceHandler = {
  connect: (_c, _sock, auth) => ({ auth }),

  connected(c, sock) {
    c.emit('auth', sock.data.auth ?? {})
  },

  event(c, _sock, name, args) {
    if (name === 'message') c.emit('message-back', ...args)
    if (name === 'message-with-ack') return args
  },
}
