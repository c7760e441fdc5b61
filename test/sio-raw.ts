import { call } from './helpers'

/** A raw Engine.IO/Socket.IO client over a WebSocket to the Worker (inside workerd). */
export class RawClient {
  readonly frames: (string | ArrayBuffer)[] = []
  /** The close code once the server closed the socket. */
  closed: number | undefined
  #taken = new Set<number>()
  #wake: (() => void)[] = []
  constructor(readonly ws: WebSocket) {
    ws.addEventListener('message', (e) => {
      this.frames.push(e.data as string | ArrayBuffer)
      for (const w of this.#wake.splice(0)) w()
    })
    ws.addEventListener('close', (e) => {
      this.closed = e.code
      for (const w of this.#wake.splice(0)) w()
    })
  }
  /**
   * Opens a WebSocket session and waits for its Engine.IO handshake; `cf`: the request's
   * `request.cf` (a location of its own gives the session a home object no other test uses).
   */
  static async open(query = '', cf?: { colo: string }): Promise<RawClient> {
    const c = await RawClient.connect(query, cf)
    await c.next((f) => f.startsWith('0{'))
    return c
  }

  /** Opens a WebSocket (e.g. `&sid=…` to upgrade a polling session) without waiting for anything. */
  static async connect(query = '', cf?: { colo: string }): Promise<RawClient> {
    const res = await call(`/socket.io/?EIO=4&transport=websocket${query}`, {
      headers: { upgrade: 'websocket' },
      cf,
    })
    if (!res.webSocket) throw new Error(`no upgrade: ${res.status} ${await res.text()}`)
    res.webSocket.accept()
    return new RawClient(res.webSocket)
  }
  send(frame: string) {
    this.ws.send(frame)
  }
  /** The next untaken text frame matching `pred`. */
  async next(pred: (f: string) => boolean, timeout = 5000): Promise<string> {
    const end = Date.now() + timeout
    for (;;) {
      const i = this.frames.findIndex((f, k) => !this.#taken.has(k) && typeof f === 'string' && pred(f))
      if (i >= 0) {
        this.#taken.add(i)
        return this.frames[i] as string
      }
      if (Date.now() > end) throw new Error(`timeout; got ${JSON.stringify(this.frames.slice(-6))}`)
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50)
        this.#wake.push(() => (clearTimeout(t), r()))
      })
    }
  }
  /** Resolves with the close code once the server closed the socket (rejects after `timeout`). */
  async closing(timeout = 5000): Promise<number> {
    const end = Date.now() + timeout
    while (this.closed === undefined) {
      if (Date.now() > end) throw new Error(`still open; got ${JSON.stringify(this.frames.slice(-6))}`)
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50)
        this.#wake.push(() => (clearTimeout(t), r()))
      })
    }
    return this.closed
  }

  /** Joins `nsp` and returns the CONNECT reply (or the CONNECT_ERROR). */
  async join(nsp: string, auth?: unknown): Promise<string> {
    this.send(`40${nsp},${auth ? JSON.stringify(auth) : ''}`)
    return this.next((f) => f.startsWith(`40${nsp},`) || f.startsWith(`44${nsp},`))
  }
}
