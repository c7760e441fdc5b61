// A DevTools-protocol session with a V8 inspector: `wrangler dev --inspector-port` (its inspector
// proxy) or workerd's own (`inspectorPort` in one workerd). Used for CPU profiles (profile.mjs)
// and to switch off what wrangler's proxy turns on (servers.mjs).
import WebSocket from 'ws'

/** How long a command may wait for its reply. */
const REPLY_MS = 30_000

/**
 * Connects to `worker`'s isolate (workerd's own inspector lists one target per Worker,
 * `core:user:<name>`; it fails loudly when that Worker is not listed), or to the first target
 * listed (wrangler's proxy lists one: the Worker it follows, which under `wrangler dev -c a -c b`
 * is the one that loaded last — Switchboard's pages Worker, not Switchboard).
 * `send(method, params)` resolves the command's reply (`{ id, result }`) or rejects with the
 * protocol's error; frames that are not a reply to a pending command (events, buffered messages)
 * are ignored.
 */
export async function inspectorSession(inspectorPort, worker) {
  const list = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()
  const target = worker
    ? list.find((t) =>
        [t.id, t.title, t.url, t.webSocketDebuggerUrl].some((s) => s?.endsWith(`core:user:${worker}`)),
      )
    : list[0]
  if (!target)
    throw new Error(
      `inspector: no target for Worker ${worker} (listed: ${list.map((t) => t.webSocketDebuggerUrl).join(', ')})`,
    )
  const ws = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
  let id = 0
  const pending = new Map()
  ws.on('message', (data) => {
    let msg
    try {
      msg = JSON.parse(String(data))
    } catch {
      return
    }
    const reply = msg?.id !== undefined && pending.get(msg.id)
    if (!reply) return
    pending.delete(msg.id)
    reply(msg)
  })
  return {
    send(method, params) {
      const n = ++id
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(n)
          reject(new Error(`inspector: no reply to ${method} in ${REPLY_MS / 1000} s`))
        }, REPLY_MS)
        pending.set(n, (msg) => {
          clearTimeout(timer)
          if (msg.error) reject(new Error(`inspector: ${method}: ${JSON.stringify(msg.error)}`))
          else resolve(msg)
        })
        ws.send(JSON.stringify({ id: n, method, params }))
      })
    },
    close: () => ws.close(),
  }
}
