// Fan-out: one room, N subscribers, S senders, M messages each — at a fixed offered rate and at
// saturation — for the Node baseline, the bare-DO floor and every Switchboard protocol.
import { fanout, openFanout } from '../lib/fanout.mjs'
import { cpuSeconds, waitQuiet } from '../lib/proc.mjs'
import { percentile } from '../lib/stats.mjs'
import { FANOUT_TARGETS, prepareTarget } from '../lib/targets.mjs'

const sumCpu = (srv) => srv.procs().reduce((a, p) => a + cpuSeconds(p.pid), 0)

export async function run(ctx) {
  const P = ctx.profile.fanout
  const ready = []
  for (const name of new Set(P.scenarios.flatMap((s) => s.targets))) {
    try {
      const t = await prepareTarget(ctx.subjects, name, `fan-${name}`)
      // Warm-up (JIT, object creation, D1 lookups) — not measured.
      await fanout(t.adapter, { subscribers: 2, senders: 1, messages: 20, settleMs: 2000, timeoutMs: 10_000 })
      ready.push({ name, ...t })
    } catch (err) {
      ctx.report.note('fanout', `${name} skipped: ${String(err.message ?? err).slice(0, 200)}`)
    }
  }
  const by = {}
  for (const sc of P.scenarios) {
    // At saturation (`alternate`) every subject's connections open first, in the scenario's order,
    // then the send rounds alternate between subjects — round 1 of each, then round 2 of each, … —
    // so each ratio compares rounds measured within the same minute, not minutes apart. At a fixed
    // rate each subject runs on its own: warmed up once, then its rounds back to back (steady
    // state: a subject idle for a minute between rounds starts each from a changed heap).
    const subjects = sc.targets.map((name) => ready.find((r) => r.name === name)).filter(Boolean)
    const runs = []
    for (const group of sc.alternate ? [subjects] : subjects.map((t) => [t]))
      runs.push(...(await measureGroup(ctx, sc, group, by)))
    // Reported in the scenario's order, each subject against the references measured beside it.
    for (const { t, rate, ms } of runs) {
      const best = by[sc.id]?.[t.name]
      if (!best) continue
      const took = `${(ms / 1000).toFixed(0)} s`
      // The floors a subject is judged against: its own, and for Socket.IO subjects the floor that
      // sends their contract's bytes (bench/floor), when this run measured it — and for latency the
      // floor's own code in Switchboard's Worker (floor-in-sb-*), and the same storing each
      // message before it relays it, as a durable ordered room must (floor-in-sb+durable-*).
      const mode = t.def.floor?.slice(-2)
      const switchboardSio = t.def.kind === 'sio' && !t.def.role
      const contractFloor = switchboardSio ? `floor+contract-${mode}` : undefined
      const isolateFloor = switchboardSio ? `floor-in-sb-${mode}` : undefined
      const durableFloor = switchboardSio ? `floor-in-sb+durable-${mode}` : undefined
      const measured = (ref) => ref && by[sc.id][ref]
      const floors = t.def.floor ? [t.def.floor, contractFloor].filter((ref, i) => !i || measured(ref)) : []
      const latencyFloors = [...floors, ...[isolateFloor, durableFloor].filter(measured)]
      const vs = (f, refs = floors) => {
        const out = {}
        const base = by[sc.id]['node-sio']
        if (t.name !== 'node-sio' && base) out['node-sio'] = f(base)
        // …and the JSON chat protocol against its peer (PartyServer) in the same run mode.
        for (const ref of [...refs, t.def.peer, peerContractOf(t.def)])
          if (ref && by[sc.id][ref]) out[ref] = f(by[sc.id][ref])
        return out
      }
      const label = `fanout/${sc.id}/${t.name}`
      const lossNote = [
        best.lost ? `LOST ${best.lost}/${best.expected}` : '',
        best.reopened ? `${best.reopened} connections opened at their second try` : '',
        best.rounds.length > 1 ? `median of ${best.rounds.length} send rounds over the same connections` : '',
      ]
        .filter(Boolean)
        .join('; ')
      // The issue's targets, against each of those floors. A target that a reference doing less
      // than Switchboard must misses itself in this run is out of reach: reported as such, with
      // that reference's ratio. Against the bare floor every other reference bounds the target: the
      // floor sending the same bytes and storing nothing, and for latency the floor's code in
      // Switchboard's Worker (the same garbage collector over the same heap) and that code
      // storing each message first. For latency those two also bound the target against
      // `floor+contract` (which runs in its own small isolate), and the durable one the target
      // against the floor's code in the Worker: it waits for each commit as Switchboard's rooms
      // must (SPEC §5.1).
      const goals = t.def.goals ?? {}
      const goal = (key, what, f) => {
        if (!goals[key] || !floors.length) return undefined
        const refs = key === 'latency' ? latencyFloors : floors
        const latencyBounds = {
          [contractFloor]: [isolateFloor, durableFloor],
          [isolateFloor]: [durableFloor],
        }
        const boundsOf = (ref) =>
          ref === t.def.floor
            ? refs.filter((b) => b !== ref)
            : refs.filter((b) => key === 'latency' && latencyBounds[ref]?.includes(b))
        return refs.map((ref) => {
          let bound
          for (const b of boundsOf(ref)) {
            const ratio = f(by[sc.id][b]) / f(by[sc.id][ref])
            if (!bound || ratio < bound.ratio) bound = { ref: b, ratio }
          }
          return { ref, atLeast: goals[key], label: `${label} ${what}`, bound }
        })
      }
      if (rate) {
        ctx.report.add({
          suite: 'fanout',
          name: `${label} p99`,
          value: best.p99,
          unit: 'ms',
          digits: 1,
          vs: vs((r) => r.p99, latencyFloors),
          lowerIsBetter: true,
          target: sc.halfOf
            ? goal(
                'latency',
                "p99 at half the floor's saturation (ratio = floor p99 / p99)",
                (r) => 1 / r.p99,
              )
            : undefined,
          note: `p50/p99/p99.9 ${best.p50.toFixed(1)}/${best.p99.toFixed(1)}/${best.p999.toFixed(1)} ms at ${rate.toFixed(0)} msg/s offered; server CPU ${best.cpuUsPerDelivery.toFixed(1)} µs/delivery ${lossNote}${best.rounds.length > 1 ? ` (by p99; the rounds' p99s ${best.rounds.map((x) => x.p99.toFixed(1)).join(' / ')} ms)` : ''} (run took ${took})`,
        })
      } else {
        ctx.report.add({
          suite: 'fanout',
          name: `${label} saturation`,
          value: best.deliveriesPerSec,
          unit: 'deliveries/s',
          vs: vs((r) => r.deliveriesPerSec),
          target: [
            ...(goal('saturation', 'deliveries/s at saturation', (r) => r.deliveriesPerSec) ?? []),
            ...peerGoals(t.def, by[sc.id], `${label} deliveries/s at saturation`),
          ],
          note: `${best.messagesPerSec.toFixed(0)} msg/s in; p50/p99 ${best.p50.toFixed(0)}/${best.p99.toFixed(0)} ms (queueing); server CPU ${best.cpuUsPerDelivery.toFixed(1)} µs/delivery ${lossNote}${roundByRound(sc, best, by[sc.id], peerContractOf(t.def) ?? t.def.floor)} (run took ${took})`,
        })
        // Deliveries per CPU-second of the server processes: steadier than wall-clock throughput
        // when other work shares the machine.
        ctx.report.add({
          suite: 'fanout',
          name: `${label} efficiency`,
          value: 1e6 / best.cpuUsPerDelivery,
          unit: 'deliveries/CPU-s',
          vs: vs((r) => 1e6 / r.cpuUsPerDelivery),
          target: goal('efficiency', 'deliveries per CPU-second', (r) => 1 / r.cpuUsPerDelivery),
        })
      }
      // `reportOpen`: what opening the scenario's connections cost each subject (no target).
      if (sc.reportOpen) {
        const o = best.opened
        ctx.report.add({
          suite: 'fanout',
          name: `${label} open`,
          value: o.cpuMsPerConn,
          unit: 'ms server CPU/connection',
          digits: 2,
          lowerIsBetter: true,
          vs: vs((r) => r.opened.cpuMsPerConn),
          note: `${o.count} connections opened in ${o.seconds.toFixed(1)} s (${(o.count / o.seconds).toFixed(0)}/s, ${o.concurrency} at a time)${t.def.transports === 'default' ? ": socket.io-client's defaults — long-polling, then the upgrade" : ''}`,
        })
      }
    }
  }
  attribute(ctx, by)
  ctx.results.fanout = by
  return by
}

/**
 * Opens the connections of `group`'s subjects (one after another), runs the scenario's send rounds
 * (alternating between them when there are several) and closes them; each run's median round goes
 * into `by[sc.id]`. Returns the runs, for the report.
 */
async function measureGroup(ctx, sc, group, by) {
  const failed = (t, err) =>
    ctx.report.note('fanout', `${sc.id} ${t.name} failed: ${String(err.message ?? err).slice(0, 200)}`)
  const runs = []
  for (const t of group) {
    // (`budgetS`: what one subject's opening and rounds may take, as when subjects ran one by one.)
    if (ctx.timeLeft() < sc.budgetS) {
      ctx.report.note('fanout', `${sc.id} ${t.name} skipped: time budget`)
      continue
    }
    // `halfOf: '<scenario>'`: offered load = half the saturation the subject's floor reached there.
    const rate = sc.halfOf ? halfFloorRate(by[sc.halfOf], t) : sc.rate
    if (sc.halfOf && !rate) {
      ctx.report.note('fanout', `${sc.id} ${t.name} skipped: no ${sc.halfOf} figure of its floor`)
      continue
    }
    const t0 = Date.now()
    const openCpu = []
    try {
      const run = await openFanout(t.adapter, {
        ...sc,
        rate,
        timeoutMs: sc.timeoutMs ?? 60_000,
        // Join announcements drained (server and this process quiet) before the clock starts.
        settle: () => waitQuiet(() => t.srv.procs(), { self: true, maxMs: 10_000, share: 0.15 }),
        onOpening: () => (openCpu[0] = sumCpu(t.srv)),
        onOpened: () => (openCpu[1] = sumCpu(t.srv)),
      })
      // What opening the connections cost: the path a client takes to join pays this once.
      run.opened.cpuMsPerConn = ((openCpu[1] - openCpu[0]) * 1000) / run.opened.count
      runs.push({ t, run, rate, ms: Date.now() - t0 })
    } catch (err) {
      // One subject failing (e.g. its sockets not opening in time) does not end the suite.
      failed(t, err)
    }
  }
  const alone = runs.length === 1
  for (let round = 0; round < (sc.rounds ?? 1); round++) {
    for (const r of runs) {
      if (r.failed || (round > 0 && r.run.results[round - 1].lost)) continue
      if (round > 0 && ctx.timeLeft() < 3) {
        ctx.report.note('fanout', `${sc.id} ${r.t.name} round ${round + 1} skipped: time budget`)
        continue
      }
      const t0 = Date.now()
      const cpu = []
      try {
        const x = await r.run.round({
          // Alternating: other subjects ran since this one opened or last sent, so its objects may
          // have gone idle — each round is warmed up and starts on a quiet server. Alone: warmed
          // up once (at a fixed rate), then 200 ms between rounds.
          warm: alone ? round === 0 && r.rate > 0 : true,
          pause: round > 0,
          // (Checked every 125 ms: /proc counts CPU in 10 ms ticks, so quiet is at most one tick.)
          settle: alone
            ? undefined
            : () => waitQuiet(() => r.t.srv.procs(), { self: true, maxMs: 5_000, share: 0.15, everyMs: 125 }),
          onStart: () => (cpu[0] = sumCpu(r.t.srv)),
          onEnd: () => (cpu[1] = sumCpu(r.t.srv)),
        })
        // Server CPU per delivery of each send round; the figure is the rounds' median.
        x.cpuUsPerDelivery = ((cpu[1] - cpu[0]) * 1e6) / Math.max(1, x.delivered)
      } catch (err) {
        r.failed = true
        failed(r.t, err)
      }
      r.ms += Date.now() - t0
    }
  }
  for (const r of runs) {
    // One subject's connections at a time, its server quiet again before the next (a room
    // announces every leave): nothing of this lands in a later measurement.
    r.run.close()
    await waitQuiet(() => r.t.srv.procs())
    if (!r.failed && r.run.results.length) {
      const best = r.run.summary()
      best.cpuUsPerDelivery = percentile(
        best.rounds.map((x) => x.cpuUsPerDelivery),
        50,
      )
      ;(by[sc.id] ??= {})[r.t.name] = best
    }
  }
  return runs
}

export const targets = Object.keys(FANOUT_TARGETS)

/**
 * With alternating rounds, round i of a subject and round i of its reference ran within the same
 * minute: the ratio of each such pair shows how far the verdict, taken on the medians, could move
 * with the rounds it happened to get ("; round by round vs floor-mf 0.82 / 0.97 / 0.74×").
 */
function roundByRound(sc, best, results, ref) {
  const other = sc.alternate && ref ? results[ref] : undefined
  if (!other || best.rounds.length < 2 || other.rounds.length !== best.rounds.length) return ''
  const ratios = best.rounds.map((x, i) => (x.deliveriesPerSec / other.rounds[i].deliveriesPerSec).toFixed(2))
  return `; round by round vs ${ref} ${ratios.join(' / ')}×`
}

/**
 * The JSON protocol's targets against its peer (PartyServer), and the same against that peer
 * sending Switchboard's frame (`peer-party+contract-*`) when the run measured it: against the bare peer,
 * a target the peer sending those bytes itself misses is out of reach here (as for the floors).
 */
function peerGoals(def, results, label) {
  if (!def.peer) return []
  const peer = results[def.peer]
  const contractRef = peerContractOf(def)
  const contract = results[contractRef]
  const bound =
    peer && contract
      ? { ref: contractRef, ratio: contract.deliveriesPerSec / peer.deliveriesPerSec }
      : undefined
  return [
    { ref: def.peer, atLeast: def.atLeast, label, bound },
    ...(contract ? [{ ref: contractRef, atLeast: def.atLeast, label }] : []),
  ]
}

/** The peer of the same run mode sending Switchboard's frame (`peer-party-wd` → `peer-party+contract-wd`). */
const peerContractOf = (def) => def.peer?.replace('peer-party-', 'peer-party+contract-')

/** Half the messages/s the floor of target `t` took in at saturation (`results`: one scenario's), or undefined. */
function halfFloorRate(results, t) {
  const floor = results?.[t.def.role === 'floor' ? t.name : t.def.floor]
  return floor && !floor.lost ? floor.messagesPerSec / 2 : undefined
}

/**
 * Splits each subject's server CPU into a per-message part (parse, auth, storage, encode) and a
 * per-send part (one ws.send per recipient) from two saturation runs with different room sizes:
 * cpu = a·messages + b·sends, sends = messages × (subscribers + senders).
 */
function attribute(ctx, by) {
  const sat = ctx.profile.fanout.scenarios.filter((s) => !s.rate && !s.halfOf)
  if (sat.length < 2) return
  const [s1, s2] = [sat[0], sat[sat.length - 1]]
  for (const name of Object.keys(by[s1.id] ?? {})) {
    const r1 = by[s1.id][name]
    const r2 = by[s2.id]?.[name]
    if (!r2 || r1.lost || r2.lost) continue
    const m1 = r1.delivered / r1.subscribers
    const m2 = r2.delivered / r2.subscribers
    const d1 = m1 * (r1.subscribers + r1.senders)
    const d2 = m2 * (r2.subscribers + r2.senders)
    const c1 = r1.cpuUsPerDelivery * r1.delivered
    const c2 = r2.cpuUsPerDelivery * r2.delivered
    const det = m1 * d2 - m2 * d1
    if (!det) continue
    const a = (c1 * d2 - c2 * d1) / det
    const b = (m1 * c2 - m2 * c1) / det
    // A negative per-message part means the two sizes do not fit one constant cost per send (a
    // send costs more in the larger room here, the bare floor's too): then each size's cost per
    // send is reported instead of a meaningless split.
    const fits = a >= 0
    ctx.report.add({
      suite: 'where',
      name: `where/${name} per-send`,
      value: fits ? b : c2 / d2,
      unit: 'µs CPU per ws.send',
      digits: 1,
      note: fits
        ? `per message (parse, auth, storage, encode; excl. sends): ${a.toFixed(0)} µs; from ${s1.id} and ${s2.id}`
        : `at ${s2.id}, all its CPU counted per send; at ${s1.id} ${(c1 / d1).toFixed(1)} µs — a send costs more in the larger room, so the two do not split into a per-message and a per-send part`,
    })
  }
}
