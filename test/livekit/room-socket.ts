import { beforeEach } from 'vitest'
import { call, json, serviceToken } from '../helpers'
import { installLiveKitDouble } from '../livekit-double'

/**
 * Follows a room's Socket.IO namespace `/{room}` the way seed 000's frontends do (Engine.IO 4 over a
 * WebSocket, `auth.token` = the participant's LiveKit token) and records the events it receives.
 */
export async function watchRoom(room: string, token: string) {
  const res = await call(`/socket.io/?EIO=4&transport=websocket&room=${room}`, {
    headers: { upgrade: 'websocket' },
  })
  if (!res.webSocket) throw new Error(`no upgrade: ${res.status} ${await res.text()}`)
  const ws = res.webSocket
  ws.accept()
  const events: [string, any][] = []
  let connected: (frame: string) => void
  const connect = new Promise<string>((r) => (connected = r))
  const prefix = `42/${room},`
  ws.addEventListener('message', (e) => {
    const f = String(e.data)
    if (f.startsWith('0{')) ws.send(`40/${room},${JSON.stringify({ token })}`)
    else if (f.startsWith(`40/${room},`) || f.startsWith(`44/${room},`)) connected(f)
    else if (f === '2') ws.send('3')
    else if (f.startsWith(prefix)) events.push(JSON.parse(f.slice(prefix.length)) as [string, any])
  })
  const reply = await connect
  if (!reply.startsWith('40')) throw new Error(`refused: ${reply}`)
  return {
    events,
    /** The first `event` whose data matches `pred`, waiting up to `timeout` ms. */
    async waitFor(event: string, pred: (data: any) => boolean = () => true, timeout = 5000) {
      const end = Date.now() + timeout
      for (;;) {
        const hit = events.find(([name, data]) => name === event && pred(data))
        if (hit) return hit[1]
        if (Date.now() > end) throw new Error(`no ${event}; got ${JSON.stringify(events)}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    close: () => ws.close(1000),
  }
}

/**
 * Per test file: the LiveKit double (reset before each test) and a service token, and
 * `generate(room)` — a new participant of `room` through `POST /user/generate` (room created when
 * absent).
 */
export function roomParticipants() {
  const lk = installLiveKitDouble()
  let staff: string
  beforeEach(async () => {
    lk.reset()
    staff ??= await serviceToken()
  })
  return {
    lk,
    staff: () => staff,
    async generate(room: string) {
      const res = await call('/user/generate', {
        method: 'POST',
        token: staff,
        json: { room, userName: 'Agent', userType: 'agent' },
      })
      return (await json(res)).data as { room: string; identity: string; token: string }
    },
  }
}
