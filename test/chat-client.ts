import { call, json, registerUser, type TestUser } from './helpers'

/** A JSON-protocol WebSocket client over a real socket to the Worker (workerd), for tests. */
export class ChatClient {
  /** Every frame received, parsed (batched arrays are flattened). */
  readonly frames: any[] = []
  /** Every raw text frame received. */
  readonly raw: string[] = []
  closed: { code: number; reason: string } | undefined
  #seen = new Set<number>()
  #wake: (() => void)[] = []

  constructor(readonly ws: WebSocket) {
    ws.addEventListener('message', (e) => {
      const text = typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data as ArrayBuffer)
      this.raw.push(text)
      const value = JSON.parse(text)
      for (const f of Array.isArray(value) ? value : [value]) this.frames.push(f)
      this.#notify()
    })
    ws.addEventListener('close', (e) => {
      this.closed = { code: e.code, reason: e.reason }
      this.#notify()
    })
  }

  #notify() {
    for (const w of this.#wake.splice(0)) w()
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The first not-yet-taken frame matching `pred` (waiting up to `timeout` ms); marks it taken. */
  async next(pred: (f: any) => boolean, timeout = 5000): Promise<any> {
    const deadline = Date.now() + timeout
    for (;;) {
      const i = this.frames.findIndex((f, idx) => !this.#seen.has(idx) && pred(f))
      if (i >= 0) {
        this.#seen.add(i)
        return this.frames[i]
      }
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(-5))}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#wake.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** Waits for `n` frames matching `pred` and returns them in arrival order. */
  async take(n: number, pred: (f: any) => boolean, timeout = 10_000): Promise<any[]> {
    const out = []
    for (let i = 0; i < n; i++) out.push(await this.next(pred, timeout))
    return out
  }

  /** Frames of a type, in arrival order. */
  ofType(type: string): any[] {
    return this.frames.filter((f) => f.type === type)
  }

  /** Waits until `ms` pass, then answers whether any frame matched `pred` (for "nothing arrives" checks). */
  async quiet(pred: (f: any) => boolean, ms = 150): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms))
    return !this.frames.some((f, idx) => !this.#seen.has(idx) && pred(f))
  }

  close(): void {
    try {
      this.ws.close(1000, 'done')
    } catch {
      /* already closed */
    }
  }
}

/** Opens `/api/v1/chat/ws`; answers the client or, when refused, the HTTP response. */
export async function openChatSocket(
  token: string | undefined,
  roomId: string | undefined,
  extra: Record<string, string> = {},
): Promise<{ client?: ChatClient; res: Response }> {
  const q = new URLSearchParams({
    ...(token ? { token } : {}),
    ...(roomId ? { room_id: roomId } : {}),
    ...extra,
  })
  const res = await call(`/api/v1/chat/ws?${q}`, { headers: { Upgrade: 'websocket' } })
  if (res.status !== 101 || !res.webSocket) return { res }
  res.webSocket.accept()
  return { client: new ChatClient(res.webSocket), res }
}

/** Connects and fails the test if refused. */
export async function connect(user: TestUser, roomId: string, extra: Record<string, string> = {}) {
  const { client, res } = await openChatSocket(user.access_token, roomId, extra)
  if (!client) throw new Error(`connect refused: ${res.status} ${await res.text()}`)
  return client
}

/** Registers `n` users and a group chat owned by the first with all of them as members. */
export async function groupWith(
  n: number,
  name = 'Room',
): Promise<{ chatId: string; code: string; users: TestUser[] }> {
  const users = await Promise.all(
    Array.from({ length: n }, (_, i) => registerUser({ name: `${name} user ${i}` })),
  )
  const res = await call('/api/v1/chats', {
    method: 'POST',
    token: users[0].access_token,
    json: { type: 'group', name, member_ids: users.slice(1).map((u) => u.id) },
  })
  if (res.status !== 201) throw new Error(`create chat failed: ${res.status} ${await res.text()}`)
  const { data } = await json(res)
  return { chatId: data.id, code: data.code, users }
}

/** Sends over REST and returns the response body's data and status. */
export async function restSend(user: TestUser, chatId: string, body: Record<string, unknown>) {
  const res = await call(`/api/v1/chats/${chatId}/messages`, {
    method: 'POST',
    token: user.access_token,
    json: body,
  })
  return { status: res.status, body: await json(res) }
}
