// Shards: one live session (seed 002) whose sockets spread over shard objects
// (src/objects/shards.ts) in one workerd. `sockets` raw `ws` clients open the session's event
// socket through the Worker (token checked, placed by the room, `perShard` per object), then the
// owner publishes `events` changes by REST (`PATCH /api/v1/live/sessions/:id`, a few at once);
// every socket must get every `session` event, all in the same order. Measured: the open rate,
// CPU per delivery, deliveries/s and the time for one event to reach every socket. Not in the
// default run (its minutes do not fit the 10-minute budget): `node bench/run.mjs --only shards`.
import { readdirSync } from 'node:fs'
import http from 'node:http'
import { openWs } from '../lib/clients.mjs'
import { call } from '../lib/http.mjs'
import { sleep } from '../lib/proc.mjs'
import { percentile } from '../lib/stats.mjs'
import { accessToken } from '../lib/switchboard.mjs'

export async function run(ctx) {
  const P = ctx.profile.shards
  const started = Date.now()
  const srv = await ctx.subjects.get('sb-mf-shards')
  // Its own budget from the server being up (the suite runs alone, `--only shards`), inside the
  // run's hard stop.
  const ready = Date.now()
  const bound = () => P.budgetS - (Date.now() - ready) / 1000
  const cpu = () => srv.procs().reduce((a, p) => a + p.cpu, 0)
  const auth = (token) => ({ authorization: `Bearer ${token}` })

  // A session owned by the server's registered member (as a mentor), and `users` viewers who joined.
  const owner = await accessToken(srv.member.user.id, 'mentor', 'Bench host')
  const created = await call(srv.url, 'POST', '/api/v1/live/sessions', {
    headers: auth(owner),
    body: { title: 'shards' },
  })
  const id = created.data.session_id
  const stamp = Date.now().toString(36)
  const tokens = await Promise.all(
    Array.from({ length: P.users }, async (_, i) => {
      const token = await accessToken(`shards-${stamp}-${i}`, 'member', `Viewer ${i}`)
      await call(srv.url, 'POST', `/api/v1/live/sessions/${id}/join`, { headers: auth(token), body: {} })
      return token
    }),
  )

  // The owner's connections for the publish phase, opened now and kept busy: with ≈ 20,000
  // sockets open, the server process is at its fd limit and may not accept a new connection.
  const owners = new http.Agent({ keepAlive: true, maxSockets: P.publishConcurrency })
  const health = () =>
    Promise.all(
      Array.from({ length: P.publishConcurrency }, () =>
        call(srv.url, 'GET', '/health', { via: owners }).catch(() => undefined),
      ),
    )
  await health()
  const keepAlive = setInterval(health, 1000)

  // Open phase: `concurrency` at a time, round-robin over the viewers, until `sockets` or the bound.
  const wsBase = `${srv.url.replace(/^http/, 'ws')}/api/v1/live/sessions/${id}/ws?token=`
  const sockets = []
  const lastAt = new Map() // event → when the last socket got it
  let failures = 0
  let firstError = ''
  let next = 0
  const openBound = Math.min(P.openSeconds, bound() - P.deliverSeconds - 10) * 1000
  const cpu0 = cpu()
  const t0 = Date.now()
  await Promise.all(
    Array.from({ length: P.concurrency }, async () => {
      while (next < P.sockets && Date.now() - t0 < openBound && failures <= P.sockets * 0.05) {
        const token = tokens[next++ % tokens.length]
        try {
          sockets.push(await openSocket(wsBase + token, lastAt))
        } catch (err) {
          failures++
          firstError ||= String(err?.message ?? err)
        }
      }
    }),
  )
  const openS = (Date.now() - t0) / 1000
  const fds = srv.procs().map((p) => `${p.comm} ${fdCount(p.pid)}`)
  const openCpuMs = ((cpu() - cpu0) * 1000) / Math.max(1, sockets.length)
  const held = sockets.length
  if (!held) {
    ctx.report.note('shards', `no socket opened in ${openS.toFixed(0)} s: ${firstError || 'time bound'}`)
    return ctx.subjects.stop('sb-mf-shards')
  }
  ctx.report.add({
    suite: 'shards',
    name: 'shards/open',
    value: held / openS,
    unit: 'sockets/s',
    pass: held >= P.sockets,
    note: `${held} of ${P.sockets} sockets in ${openS.toFixed(1)} s (${P.concurrency} at a time, ${P.users} users, ${P.perShard} per object → ${Math.ceil(held / P.perShard)} objects)${held < P.sockets ? ' — time bound' : ''}, ${failures} failed${firstError ? ` (${firstError.slice(0, 80)})` : ''}; open fds ${fds.join(', ')}; server CPU ${openCpuMs.toFixed(2)} ms per socket (token, D1 checks, placement by the room, the upgrade in a shard, welcome from the room)`,
  })

  // Publish phase: `events` PATCHes, `publishConcurrency` in flight at a time.
  await sleep(1000)
  clearInterval(keepAlive)
  const sentAt = new Map()
  const cpu1 = cpu()
  const client1 = process.cpuUsage()
  const p0 = Date.now()
  let e = 0
  let publishErrors = 0
  // A PATCH that gets no answer is sent again (up to 3 tries) under a new title: whether the
  // first was published is unknown, so only the answered ones must reach every socket.
  const acked = []
  await Promise.all(
    Array.from({ length: P.publishConcurrency }, async () => {
      while (e < P.events) {
        const n = e++
        for (let attempt = 0; attempt < 3; attempt++) {
          const title = attempt ? `e${n}r${attempt}` : `e${n}`
          sentAt.set(title, Date.now())
          const ok = await call(srv.url, 'PATCH', `/api/v1/live/sessions/${id}`, {
            headers: auth(owner),
            body: { title },
            via: owners,
          }).then(
            () => true,
            (err) => {
              publishErrors++
              firstError ||= `PATCH: ${err?.message ?? err}`
              return false
            },
          )
          if (ok) {
            acked.push(title)
            break
          }
        }
      }
    }),
  )
  const deadline = Date.now() + Math.min(P.deliverSeconds, Math.max(5, bound())) * 1000
  const gotAll = (s) => acked.every((t) => s.seen.includes(t))
  const complete = () => sockets.every(gotAll)
  while (!complete() && Date.now() < deadline) await sleep(50)
  owners.destroy()
  const lastReceipt = Math.max(...lastAt.values())
  const deliverS = (lastReceipt - p0) / 1000
  const cpuS = cpu() - cpu1
  const client = process.cpuUsage(client1)
  const deliveries = sockets.reduce((a, s) => a + s.seen.length, 0)
  const order = sockets[0]?.seen.join(',') ?? ''
  const reached = sockets.filter(gotAll).length
  const inOrder = sockets.filter((s) => s.seen.join(',') === order).length
  const reach = acked.map((t) => (lastAt.get(t) ?? NaN) - sentAt.get(t))
  const usPerDelivery = (cpuS * 1e6) / Math.max(1, deliveries)

  // Nothing else needs this server: stop it before the sockets close (no leave storm).
  await ctx.subjects.stop('sb-mf-shards')
  for (const s of sockets) s.ws.terminate()

  ctx.report.add({
    suite: 'shards',
    name: 'shards/every event to every socket in one order',
    value: inOrder,
    unit: `of ${held} sockets`,
    pass: acked.length === P.events && reached === held && inOrder === held,
    note: `${acked.length} of ${P.events} events answered (${P.publishConcurrency} PATCHes in flight at a time${publishErrors ? `; ${publishErrors} PATCHes unanswered, sent again: ${firstError.slice(0, 80)}` : ''}); ${reached} sockets got every answered one, ${inOrder} in the first socket's order`,
  })
  ctx.report.add({
    suite: 'shards',
    name: 'shards/deliveries',
    value: deliveries / deliverS,
    unit: 'deliveries/s',
    note: `${deliveries} frames to ${held} sockets in ${deliverS.toFixed(1)} s, all objects in one workerd process; bench client CPU ${((client.user + client.system) / 1e6).toFixed(1)} s`,
  })
  ctx.report.add({
    suite: 'shards',
    name: 'shards/CPU per delivery',
    value: usPerDelivery,
    unit: 'µs',
    digits: 1,
    lowerIsBetter: true,
    note: `workerd CPU ${cpuS.toFixed(1)} s over the publish phase ÷ deliveries; one event costs one object of ${P.perShard} sockets ≈ ${((usPerDelivery * P.perShard) / 1000).toFixed(0)} ms → ≈ ${(1e6 / (usPerDelivery * P.perShard)).toFixed(0)} events/s per shard`,
  })
  ctx.report.add({
    suite: 'shards',
    name: 'shards/time to reach every socket',
    value: percentile(reach.filter(Number.isFinite), 50),
    unit: 'ms (p50 per event)',
    note: `max ${Math.max(...reach.filter(Number.isFinite)).toFixed(0)} ms; from the PATCH sent to the last of ${held} sockets receiving it, ${P.publishConcurrency} events in flight`,
  })
  ctx.report.note('shards', `suite took ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

/** Open file descriptors of a process (the hard limit here is 20,000 per process). */
function fdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return NaN
  }
}

/** Opens one event socket; resolves once welcomed. Records the `session` events it receives. */
async function openSocket(url, lastAt) {
  const seen = []
  const onMessage = (data) => {
    const text = String(data)
    if (!text.startsWith('{"type":"session"')) return
    const t = /"title":"(e\d+(?:r\d)?)"/.exec(text)?.[1]
    if (t) {
      seen.push(t)
      lastAt.set(t, Date.now())
    }
  }
  const ws = await openWs(url, { waitFor: (m) => m.startsWith('{"type":"welcome"'), onMessage })
  return { ws, seen }
}
