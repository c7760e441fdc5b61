import { exports } from 'cloudflare:workers'
import { WebSocket as WebSocketTransport } from 'engine.io-client'
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client'

/**
 * A browser-style WebSocket whose handshake goes to the Worker in-process
 * (`exports.default.fetch` with `Upgrade: websocket`) instead of the network: the only piece the
 * real socket.io-client needs to run inside workerd against this Worker.
 */
class InProcessWebSocket {
  static readonly OPEN = 1
  readyState = 0
  binaryType = 'arraybuffer'
  onopen: (() => void) | null = null
  onclose: ((e: { code: number; reason: string }) => void) | null = null
  onmessage: ((e: { data: string | ArrayBuffer }) => void) | null = null
  onerror: ((e: unknown) => void) | null = null
  #ws: WebSocket | undefined

  constructor(url: string) {
    const http = url.replace(/^ws/, 'http')
    exports.default
      .fetch(new Request(http, { headers: { upgrade: 'websocket' } }))
      .then((res) => {
        const ws = res.webSocket
        if (!ws) throw new Error(`no upgrade: ${res.status}`)
        ws.accept()
        this.#ws = ws
        ws.addEventListener('message', (e) => this.onmessage?.({ data: e.data as string | ArrayBuffer }))
        ws.addEventListener('close', (e) => {
          this.readyState = 3
          this.onclose?.({ code: e.code, reason: e.reason })
        })
        ws.addEventListener('error', (e) => this.onerror?.(e))
        this.readyState = 1
        this.onopen?.()
      })
      .catch((err) => {
        this.readyState = 3
        this.onerror?.(err)
        this.onclose?.({ code: 1006, reason: String(err) })
      })
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#ws?.send(data as string | ArrayBuffer)
  }

  close(code?: number, reason?: string): void {
    this.readyState = 2
    this.#ws?.close(code ?? 1000, reason)
  }
}

/** engine.io-client's own WebSocket transport, opening its socket in-process. */
export class InProcessTransport extends WebSocketTransport {
  override createSocket(uri: string): any {
    return new InProcessWebSocket(uri)
  }
}

/** The real socket.io-client, connected to the Worker inside workerd over the WebSocket transport. */
export function sioClient(nsp: string, opts: Partial<ManagerOptions & SocketOptions> = {}): Socket {
  return io(`http://localhost${nsp}`, {
    reconnection: false,
    forceNew: true,
    ...opts,
    transports: opts.transports ?? [InProcessTransport as any],
  })
}

/** Resolves once `s` is connected; rejects with its connect_error. */
export function sioConnected(s: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s))
    s.once('connect_error', reject)
  })
}
