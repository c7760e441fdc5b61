// A minimal raw Engine.IO/Socket.IO client on `ws`: enough to open a namespace and sit idle.
// Far lighter than socket.io-client for the 10,000-connection run.
import { openWs } from './clients.mjs'

/** `http://host:port` + target → the websocket URL of the Engine.IO endpoint. */
export function eioUrl(target) {
  const q = new URLSearchParams({ ...(target.query ?? {}), EIO: '4', transport: 'websocket' })
  return `${target.base.replace(/^http/, 'ws')}/socket.io/?${q}`
}

/**
 * Opens a socket and joins `target.nsp` (answers server pings so it stays up). Resolves the
 * `ws` once the namespace CONNECT reply arrives; rejects on CONNECT_ERROR.
 */
export async function openNamespace(target, timeoutMs = 30_000) {
  const ws = await openWs(eioUrl(target), { waitFor: (m) => m.startsWith('0'), timeoutMs })
  const nsp = target.nsp === '/' ? '' : `${target.nsp},`
  const auth = target.auth ? JSON.stringify(target.auth) : ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error('namespace connect timed out'))
    }, timeoutMs)
    ws.on('message', (data) => {
      const m = String(data)
      if (m === '2') ws.send('3')
      else if (m.startsWith(`40${nsp}`)) {
        clearTimeout(timer)
        resolve(ws)
      } else if (m.startsWith(`44${nsp}`)) {
        clearTimeout(timer)
        ws.terminate()
        reject(new Error(`CONNECT_ERROR ${m}`))
      }
    })
    ws.send(`40${nsp}${auth}`)
  })
}
