// The fan-out engine shared by every protocol: N subscribers and S senders in one room, M
// messages per sender, either at a fixed offered rate or all at once (saturation). Each message
// carries a stamp `b|<sender>|<index>|<send time ms>` in its text, so any server envelope around
// it still yields the end-to-end latency (same process sends and receives: one clock).
import { performance } from 'node:perf_hooks'
import { summarize } from './stats.mjs'

export const stamp = (s, i) => `b|${s}|${i}|${performance.now().toFixed(3)}`

/** Finds stamps in a decoded message (strings starting with `b|`, searched a few levels deep). */
export function findStamps(value, out = [], depth = 0) {
  if (typeof value === 'string') {
    if (value.startsWith('b|')) out.push(value)
  } else if (value && typeof value === 'object' && depth < 5) {
    if (Array.isArray(value)) for (const v of value) findStamps(v, out, depth + 1)
    else for (const k in value) findStamps(value[k], out, depth + 1)
  }
  return out
}

/** How many connections `openMany` opens at once unless told otherwise. */
export const OPEN_CONCURRENCY = 50

/**
 * Opens `count` connections, `concurrency` at a time. A connection that fails to open is tried
 * once more (as socket.io-client's default reconnection would; `wrangler dev`'s proxy answers 503
 * to some requests under load): `conns.retried` says how many were.
 */
export async function openMany(count, open, concurrency = OPEN_CONCURRENCY) {
  const conns = new Array(count)
  let next = 0
  let retried = 0
  const errors = []
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++
        try {
          conns[i] = await open(i)
        } catch {
          retried++
          try {
            conns[i] = await open(i)
          } catch (err) {
            errors.push(err)
          }
        }
      }
    }),
  )
  conns.retried = retried
  if (errors.length) {
    for (const c of conns) c?.close()
    throw new Error(`${errors.length}/${count} connections failed: ${errors[0]?.message ?? errors[0]}`)
  }
  return conns
}

/**
 * Runs one fan-out measurement: opens the connections, runs `rounds` send rounds, closes them
 * (`openFanout` below, for callers that run other work between the rounds).
 * `adapter.open(i, onStamps)` → `{ send(text, s, i), close() }`; onStamps(stamps[], raw) is
 * called for every delivered frame. Deliveries are counted on subscribers only.
 *
 * `rounds` > 1: the connections open once and the send phase runs that many times, each measured
 * on its own (`onStart(round)` / `onEnd(round)` around each); the result is the median round by
 * deliveries/s (at a fixed `rate`: by p99), with every round in `rounds`. A round that loses
 * messages ends the series.
 */
export async function fanout(adapter, opts) {
  const { rate = 0 } = opts
  const run = await openFanout(adapter, opts)
  try {
    for (let round = 0; round < (opts.rounds ?? 1); round++) {
      if (round > 0 && run.results[round - 1].lost) break
      // At a fixed rate with `warmupMs`, the first round is warmed up; later ones pause 200 ms.
      const warm = round === 0 && rate > 0 && !!opts.warmupMs
      await run.round({ onStart: opts.onStart, onEnd: opts.onEnd, pause: round > 0, warm })
    }
  } finally {
    run.close()
  }
  return run.summary()
}

/** The median of `results` (send rounds of one subject): by p99 at a fixed rate, else by deliveries/s. */
export function medianRound(results) {
  // At a fixed offered rate every round takes in the same messages/s: the median round is then the
  // one with the median p99 (one round's p99 is its few slowest messages — one pause moves it).
  const key = results[0].rate > 0 ? (r) => r.p99 : (r) => r.deliveriesPerSec
  const sorted = [...results].sort((a, b) => key(a) - key(b))
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

/**
 * Opens a fan-out's connections (`opts` as for `fanout`) and returns the run: `round()` runs one
 * measured send round (its result is pushed onto `results`), `close()` closes the connections,
 * `summary()` is what `fanout` returns. `onOpening` / `onOpened` run around the open phase
 * (`opened` says what it took). Between rounds the caller may measure other subjects: with
 * `warm: true` a round first sends unmeasured messages at the round's own rate (`warmupMs`; at
 * saturation one short burst), so an object that went idle meanwhile is awake and warm before the
 * clock starts.
 */
export async function openFanout(adapter, opts) {
  const { subscribers, senders, messages, rate = 0, settleMs = 4000, timeoutMs = 60_000, recordOrder } = opts
  const { onOpening = () => {}, onOpened = () => {} } = opts
  const expected = subscribers * senders * messages
  let latencies = new Float64Array(expected)
  let delivered = 0
  let lastDelivery = 0
  let orders = null
  let seqs = null
  let unexpected = 0
  let warmups = 0

  await onOpening()
  const opening = performance.now()
  const subs = await openMany(subscribers, (n) =>
    adapter.open(n, (stamps, seq) => {
      const now = performance.now()
      for (const st of stamps) {
        const parts = st.split('|')
        if (delivered < expected) latencies[delivered] = now - Number(parts[3])
        else unexpected++
        delivered++
        if (orders) {
          orders[n].push(`${parts[1]}.${parts[2]}`)
          if (seq !== undefined) seqs[n].push(seq)
        }
      }
      lastDelivery = now
    }),
  )
  let snds
  try {
    snds = await openMany(senders, (n) => adapter.open(subscribers + n, null))
  } catch (err) {
    for (const c of subs) c.close()
    throw err
  }
  const opened = {
    count: subscribers + senders,
    seconds: (performance.now() - opening) / 1000,
    concurrency: OPEN_CONCURRENCY,
  }
  await onOpened()
  // Let joins settle before the clock starts: each join is announced to the room, so a large room
  // leaves a backlog of announcements (server writes, client parsing) that must not land in the
  // measured send phase. `settle` waits for it (e.g. until the server and this process are quiet).
  await (opts.settle ? opts.settle() : new Promise((r) => setTimeout(r, 300)))

  /**
   * Unmeasured sends (their texts carry no stamp). At a fixed rate: that rate for `warmupMs`, so
   * the measured window starts in steady state rather than with the first burst's ramp-up (JIT,
   * timers, the first writes), which otherwise makes up much of a short run's p99. At saturation:
   * two messages per sender, all at once.
   */
  const warmUp = async () => {
    if (rate > 0) {
      if (!opts.warmupMs) return
      const w0 = performance.now()
      let n = 0
      while (performance.now() - w0 < opts.warmupMs) {
        const due = Math.floor(((performance.now() - w0) / 1000) * rate) + 1
        for (; n < due; n++) snds[n % senders].send(`warmup|${warmups++}`, n % senders, -1 - warmups)
        await new Promise((r) => setTimeout(r, 1))
      }
    } else {
      for (let k = 0; k < 2; k++)
        for (let s = 0; s < senders; s++) snds[s].send(`warmup|${warmups++}`, s, -1 - warmups)
    }
  }

  const total = senders * messages
  const results = []
  return {
    opened,
    results,
    /**
     * One measured send round. `warm`: warm up first (see above); then `settle` (e.g. until the
     * server is quiet) or, with `warm` or `pause`, 200 ms.
     */
    async round({ onStart = () => {}, onEnd = () => {}, pause = false, warm = false, settle } = {}) {
      latencies = new Float64Array(expected)
      delivered = 0
      lastDelivery = 0
      unexpected = 0
      orders = recordOrder ? Array.from({ length: subscribers }, () => []) : null
      seqs = recordOrder ? Array.from({ length: subscribers }, () => []) : null
      if (warm) await warmUp()
      // Then the warm-up's deliveries drain: until `settle` says so, or 200 ms.
      if (settle) await settle()
      else if (warm || pause) await new Promise((r) => setTimeout(r, 200))
      const round = results.length
      await onStart(round)
      const start = performance.now()
      let sent = 0
      if (rate > 0) {
        await new Promise((resolve) => {
          const tick = () => {
            const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1)
            while (sent < due) {
              const s = sent % senders
              const i = Math.floor(sent / senders)
              snds[s].send(stamp(s, i), s, i)
              sent++
            }
            if (sent < total) setTimeout(tick, 1)
            else resolve()
          }
          tick()
        })
      } else {
        for (let i = 0; i < messages; i++) for (let s = 0; s < senders; s++) snds[s].send(stamp(s, i), s, i)
        sent = total
      }
      const sendDone = performance.now()

      // Wait for everything, for progress to stop, or for the deadline.
      const deadline = start + timeoutMs
      let seen = -1
      let stillSince = performance.now()
      while (delivered < expected && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20))
        if (delivered !== seen) {
          seen = delivered
          stillSince = performance.now()
        } else if (performance.now() - stillSince > settleMs) break
      }
      await onEnd(round)

      const duration = ((lastDelivery || performance.now()) - start) / 1000
      const lat = summarize(latencies.subarray(0, Math.min(delivered, expected)))
      const result = {
        subscribers,
        senders,
        messages,
        rate,
        expected,
        delivered,
        lost: Math.max(0, expected - delivered),
        unexpected,
        sendSeconds: (sendDone - start) / 1000,
        seconds: duration,
        deliveriesPerSec: delivered / duration,
        messagesPerSec: delivered / subscribers / duration,
        p50: lat.p50,
        p99: lat.p99,
        p999: lat.p999,
        max: lat.max,
        orders,
        seqs,
        /** Connections that opened only at their second try. */
        reopened: subs.retried + snds.retried,
      }
      results.push(result)
      return result
    },
    close() {
      for (const c of [...subs, ...snds]) c.close()
    },
    summary() {
      return { ...medianRound(results), rounds: results, opened }
    },
  }
}
