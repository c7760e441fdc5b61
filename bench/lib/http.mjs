// A tiny keep-alive HTTP client (node:http: cheaper per request than fetch, so the load
// generator steals less CPU from the server on a 2-core machine).
import http from 'node:http'

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })

/**
 * Sends one request; resolves `{ status, text, json }` (json undefined if not JSON); `via`: another
 * keep-alive agent than the shared one. A kept-alive
 * socket the server closed meanwhile ("socket hang up" on a reused socket) is retried once.
 */
export async function request(base, method, path, opts = {}) {
  try {
    return await requestOnce(base, method, path, opts)
  } catch (err) {
    if (!err.reusedSocket || !['ECONNRESET', 'EPIPE'].includes(err.code)) throw err
    return requestOnce(base, method, path, opts)
  }
}

function requestOnce(base, method, path, { body, headers = {}, raw, timeoutMs = 30_000, via = agent } = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base)
    const payload = raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined
    const h = { ...headers }
    if (payload !== undefined) {
      h['content-length'] = Buffer.byteLength(payload)
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
        h['content-type'] = 'application/json'
    }
    const req = http.request(url, { method, headers: h, agent: via }, (res) => {
      const chunks = []
      res.on('data', (d) => chunks.push(d))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json
        try {
          json = JSON.parse(text)
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode, text, json, headers: res.headers })
      })
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout ${method} ${path}`)))
    req.on('error', (err) => {
      err.reusedSocket = req.reusedSocket
      reject(err)
    })
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

/** Like `request`, but throws unless the status is 2xx; returns the parsed JSON. */
export async function call(base, method, path, opts) {
  const res = await request(base, method, path, opts)
  if (res.status < 200 || res.status >= 300)
    throw new Error(`${method} ${path} → ${res.status}: ${res.text.slice(0, 300)}`)
  return res.json
}
