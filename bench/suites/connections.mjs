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
    let t
    try {
      t = await prepareTarget(ctx.subjects, name, `conn-${name}`)
      ;(await openNamespace(t.sio)).terminate() // the room exists and accepts us
    } catch (err) {
      ctx.report.note('connections', `${name} skipped: ${String(err.message ?? err).slice(0, 200)}`)
      continue
    }
    await sleep(1000)
    const before = serverRss(t.srv)
    const t0 = Date.now()
    const sockets = []
    let failures = 0
    let firstError = ''
    // Open in waves until the target count or the time bound.
    while (sockets.length < P.count && Date.now() - t0 < P.openSeconds * 1000) {
      const wave = Math.min(P.wave, P.count - sockets.length)
      const results = await Promise.allSettled(
        Array.from({ length: wave }, () => openNamespace(t.sio, 20_000)),
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
    // Wake the room: one event must still reach every idle socket.
    let reached = 0
    const frame = `42${t.sio.nsp === '/' ? '' : `${t.sio.nsp},`}["chat-message",{"message":"b|wake|0|0"}]`
    for (const ws of sockets) ws.on('message', (d) => String(d).includes('b|wake') && reached++)
    sockets[0]?.send(frame)
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
      note: `opened in ${openS.toFixed(1)} s, ${failures} failed${firstError ? ` (${firstError.slice(0, 80)})` : ''}; after ${P.idleSeconds} s idle one event reached ${reached}`,
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
