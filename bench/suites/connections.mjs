// Connections: how many concurrent idle (hibernated) sockets one local process holds, and its
// memory per connection — Switchboard's `/{room}` namespace in one workerd vs the Node baseline.
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
  for (const name of P.targets) {
    if (ctx.timeLeft() < P.budgetS) {
      ctx.report.note('connections', `${name} skipped: time budget`)
      continue
    }
    // Spread over `rooms` rooms (objects) in the one process: each join is announced to the
    // room (user-connection), so one 10,000-socket room would measure O(n²) presence instead.
    const rooms = []
    try {
      for (let k = 0; k < P.rooms; k++)
        rooms.push(await prepareTarget(ctx.subjects, name, `conn-${name}-${k}`, { probe: k === 0 }))
      ;(await openNamespace(rooms[0].sio)).terminate() // the room exists and accepts us
    } catch (err) {
      ctx.report.note('connections', `${name} skipped: ${String(err.message ?? err).slice(0, 200)}`)
      continue
    }
    const t = rooms[0]
    await sleep(1000)
    const before = serverRss(t.srv)
    const t0 = Date.now()
    const sockets = []
    const roomOf = new Map()
    let failures = 0
    let firstError = ''
    // Open in waves (round-robin over the rooms) until the target count or the time bound.
    while (sockets.length < P.count && Date.now() - t0 < P.openSeconds * 1000) {
      const wave = Math.min(P.wave, P.count - sockets.length)
      const base = sockets.length + failures
      const results = await Promise.allSettled(
        Array.from({ length: wave }, (_, j) => {
          const room = rooms[(base + j) % rooms.length]
          return openNamespace(room.sio, 20_000).then((ws) => (roomOf.set(ws, room), ws))
        }),
      )
      for (const r of results) {
        if (r.status === 'fulfilled') sockets.push(r.value)
        else {
          failures++
          firstError ||= String(r.reason?.message ?? r.reason)
        }
      }
      if (failures > P.count * 0.05) break
    }
    const openS = (Date.now() - t0) / 1000
    const peak = serverRss(t.srv)
    await sleep(P.idleSeconds * 1000) // idle long enough for the object to hibernate
    const idle = serverRss(t.srv)
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
    for (const ws of sockets) ws.terminate()
    await sleep(500)

    const perConnKiB = (idle - before) / Math.max(1, sockets.length)
    out[name] = { held: sockets.length, alive, reached, failures, openS, before, peak, idle, perConnKiB }
    const base = out['node-sio']
    ctx.report.add({
      suite: 'connections',
      name: `connections/${name} held`,
      value: alive,
      unit: `of ${P.count} idle sockets`,
      vs: base && name !== 'node-sio' ? { 'node-sio': base.alive } : {},
      note: `${P.rooms} rooms, opened in ${openS.toFixed(1)} s (${(sockets.length / openS).toFixed(0)}/s), ${failures} failed${firstError ? ` (${firstError.slice(0, 80)})` : ''}; after ${P.idleSeconds} s idle one event per room reached ${reached}`,
    })
    ctx.report.add({
      suite: 'connections',
      name: `connections/${name} memory`,
      value: perConnKiB,
      unit: 'KiB/connection',
      digits: 1,
      lowerIsBetter: true,
      vs: base && name !== 'node-sio' ? { 'node-sio': base.perConnKiB } : {},
      note: `server RSS ${(before / 1024).toFixed(0)} → ${(peak / 1024).toFixed(0)} MiB open → ${(idle / 1024).toFixed(0)} MiB idle`,
    })
  }
  ctx.results.connections = out
}
