// Connections: how many concurrent idle (hibernated) sockets one local process holds, and its
// memory per connection — Switchboard's `/{room}` namespace in one workerd vs the Node baseline
// and the bare-DO floor. Raw Engine.IO clients (bench/lib/eio.mjs), `concurrency` opening at once,
// round-robin over `rooms` rooms, until the target count or the time bound.
import { openNamespace } from '../lib/eio.mjs'
import { sleep } from '../lib/proc.mjs'
import { prepareTarget } from '../lib/targets.mjs'

/** Total RSS (KiB) of the serving processes: workerd for Workers, node for the baseline. */
function serverRss(srv) {
  const procs = srv.procs()
  const workerd = procs.filter((p) => p.comm === 'workerd')
  return (workerd.length ? workerd : procs).reduce((a, p) => a + p.rssKiB, 0)
}

export async function run(ctx) {
  const P = ctx.profile.connections
  const out = {}
  const targets = Object.entries(P.targets)
  for (const [k, [name, count]] of targets.entries()) {
    // Seconds the targets after this one need at least; this one's open phase leaves them that.
    const later = targets.slice(k + 1).reduce((a, [t]) => a + minFor(P, t) + idleFor(P, t) + P.wakeSeconds, 0)
    if (ctx.timeLeft() - later < minFor(P, name)) {
      ctx.report.note('connections', `${name} skipped: time budget`)
      continue
    }
    const r = await measure(ctx, name, count, P, later)
    if (!r) continue
    out[name] = r
    const base = out['node-sio']
    const vs = (f) => (base && name !== 'node-sio' ? { 'node-sio': f(base) } : {})
    ctx.report.add({
      suite: 'connections',
      name: `connections/${name} held`,
      value: r.alive,
      // No ratio: each figure is out of its own subject's count (bench/profiles.mjs may give them
      // different ones); open rate and memory per connection carry the ratios.
      unit: `of ${count} idle sockets`,
      note: `${P.rooms} rooms; opened ${r.held} in ${r.openS.toFixed(1)} s (${(r.held / r.openS).toFixed(0)}/s, ${P.concurrency} at a time)${r.held < count ? ' — time bound' : ''}, ${r.failures} failed${r.firstError ? ` (${r.firstError.slice(0, 80)})` : ''}; after ${r.idleS} s idle one event per room reached ${r.reached}/${r.alive}`,
    })
    ctx.report.add({
      suite: 'connections',
      name: `connections/${name} open rate`,
      value: r.held / r.openS,
      unit: 'connections/s',
      vs: vs((b) => b.held / b.openS),
      note: `Engine.IO open + namespace CONNECT${name.startsWith('sb-') ? ' (LiveKit token verified, presence announced to the room)' : ''}; CPU per connection: server ${r.cpuMsPerConn.toFixed(2)} ms, bench client ${r.clientMsPerConn.toFixed(2)} ms`,
    })
    ctx.report.add({
      suite: 'connections',
      name: `connections/${name} memory`,
      value: r.perConnKiB,
      unit: 'KiB/connection',
      digits: 1,
      lowerIsBetter: true,
      vs: vs((b) => b.perConnKiB),
      note: `server RSS ${(r.before / 1024).toFixed(0)} MiB before → ${(r.peak / 1024).toFixed(0)} MiB open → ${(r.idle / 1024).toFixed(0)} MiB after ${r.idleS} s idle (per connection from the idle figure)`,
    })
  }
  ctx.results.connections = out
}

const openLimit = (P, name) => P.openSeconds[name] ?? P.openSeconds.default
const idleFor = (P, name) => P.idleSeconds[name] ?? P.idleSeconds.default
/** The fewest seconds `name`'s open phase is started with. */
const minFor = (P, name) => P.minSeconds[name] ?? P.minSeconds.default

async function measure(ctx, name, count, P, later) {
  // Spread over `rooms` rooms (objects) in the one process: each join is announced to its room
  // (user-connection), so presence costs O(room size) per join — 100 per room at 10,000.
  const rooms = []
  try {
    rooms.push(await prepareTarget(ctx.subjects, name, `conn-${name}-0`))
    const rest = await Promise.all(
      Array.from({ length: P.rooms - 1 }, (_, k) =>
        prepareTarget(ctx.subjects, name, `conn-${name}-${k + 1}`, { probe: false }),
      ),
    )
    rooms.push(...rest)
    ;(await openNamespace(rooms[0].sio)).terminate() // the room exists and accepts us
  } catch (err) {
    ctx.report.note('connections', `${name} skipped: ${String(err.message ?? err).slice(0, 200)}`)
    return null
  }
  const srv = rooms[0].srv
  const cpu = () => srv.procs().reduce((a, p) => a + p.cpu, 0)
  await sleep(1000)
  const before = serverRss(srv)
  const cpu0 = cpu()
  const t0 = Date.now()
  const sockets = []
  const roomOf = new Map()
  let failures = 0
  let firstError = ''
  let next = 0
  const idle = idleFor(P, name)
  // The open phase's time bound, shortened to what the run's budget still has room for.
  const openBound = Math.min(openLimit(P, name), ctx.timeLeft() - later - idle - P.wakeSeconds) * 1000
  const stop = () => next >= count || Date.now() - t0 > openBound || failures > count * 0.05
  const client0 = process.cpuUsage()
  await Promise.all(
    Array.from({ length: P.concurrency }, async () => {
      while (!stop()) {
        const room = rooms[next++ % rooms.length]
        try {
          const ws = await openNamespace(room.sio, 20_000)
          roomOf.set(ws, room)
          sockets.push(ws)
        } catch (err) {
          failures++
          firstError ||= String(err?.message ?? err)
        }
      }
    }),
  )
  const openS = (Date.now() - t0) / 1000
  const cpuMsPerConn = ((cpu() - cpu0) * 1000) / Math.max(1, sockets.length)
  const client = process.cpuUsage(client0)
  const clientMsPerConn = (client.user + client.system) / 1000 / Math.max(1, sockets.length)
  const peak = serverRss(srv)
  await sleep(idle * 1000) // idle long enough for the objects to hibernate
  const idleRss = serverRss(srv)
  const alive = sockets.filter((ws) => ws.readyState === 1).length
  // Wake every room: one event per room must still reach every idle socket.
  let reached = 0
  for (const ws of sockets) ws.on('message', (d) => String(d).includes('b|wake') && reached++)
  const first = new Map()
  for (const ws of sockets) if (!first.has(roomOf.get(ws))) first.set(roomOf.get(ws), ws)
  for (const [room, ws] of first) {
    const nsp = room.sio.nsp === '/' ? '' : `${room.sio.nsp},`
    ws.send(`42${nsp}["chat-message",{"message":"b|wake|0|0"}]`)
  }
  const until = Date.now() + P.wakeSeconds * 1000
  while (reached < alive && Date.now() < until) await sleep(100)
  // Nothing else needs this server: stop it before the sockets close, so thousands of leave
  // announcements do not load the machine under the next measurement.
  await ctx.subjects.stop(rooms[0].def.server)
  for (const ws of sockets) ws.terminate()
  const perConnKiB = (idleRss - before) / Math.max(1, sockets.length)
  return {
    held: sockets.length,
    alive,
    reached,
    failures,
    firstError,
    openS,
    idleS: idle,
    cpuMsPerConn,
    clientMsPerConn,
    before,
    peak,
    idle: idleRss,
    perConnKiB,
  }
}
