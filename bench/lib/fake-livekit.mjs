// A stand-in LiveKit server API for token minting runs: answers every Twirp call with a
// plausible empty success, so `POST /user/generate` never leaves 127.0.0.1. Under `/radio` it
// stands in for the radio location API too (a one-radio feed), so `/radio/*` is fuzzed for real.
import http from 'node:http'

export function startFakeLiveKit(port) {
  let calls = 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      calls++
      if (req.url?.startsWith('/radio')) {
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end(JSON.stringify([{ radioNo: 'R-1', deviceId: 'DEV-1', lat: 13.75, lng: 100.5 }]))
      }
      let input = {}
      try {
        input = JSON.parse(body || '{}')
      } catch {
        /* ignore */
      }
      const room = {
        sid: 'RM_bench',
        name: input.name ?? input.room ?? 'bench',
        num_participants: 0,
        creation_time: '0',
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ...room, rooms: [], participants: [] }))
    })
  })
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${port}`, calls: () => calls, close: () => server.close() }),
    ),
  )
}
