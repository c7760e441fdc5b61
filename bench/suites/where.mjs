// Where time goes: a V8 CPU profile of Switchboard's isolate in one workerd (its own inspector,
// the `switchboard` target: `wrangler dev`'s inspector proxy follows the pages Worker beside it)
// during the send phase of a saturation run, grouped by step of the send path. Shares are of the
// isolate's busy JavaScript time; work the runtime does outside JavaScript (socket writes after
// `send` returns, storage commits behind the output gate) is not in it — the fan-out suite's CPU
// figures and the floor variants cover that.
import { fanout } from '../lib/fanout.mjs'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { startProfile, summarizeProfile } from '../lib/profile.mjs'
import { PORTS } from '../lib/subjects.mjs'
import { WORKER_NAME } from '../lib/switchboard.mjs'
import { prepareTarget } from '../lib/targets.mjs'

const is =
  (...names) =>
  (fn) =>
    names.includes(fn) || (names.includes('zod') && fn.includes('_zod'))

/** Steps of the send path, matched by function name anywhere on a sample's stack. */
const GROUPS = {
  'parse (frame decode, JSON.parse)': is('decodeSio', 'parseFrame', 'parse', 'safeParse', 'zod'),
  'storage (SQLite append, lookups)': is(
    'appendChat',
    'append',
    'exec',
    'one',
    'toArray',
    '#all',
    'byClientId',
  ),
  'encode (broadcast frame)': is('encodeSio', 'newMessageFrame', 'stringify'),
  'send (ws.send per recipient)': is(
    'send',
    'sendTo',
    'sendFrame',
    'broadcast',
    'broadcastEvent',
    '#fanout',
    '#sendBatches',
  ),
  'D1 index (outbox flush)': is('writeIndex', '#flushIndex', 'flushIndex', 'toJson'),
  'rate limit + size check (Channel)': is('#take', 'encode'),
}

export async function run(ctx) {
  const P = ctx.profile.where
  for (const name of P.targets) {
    if (ctx.timeLeft() < 5) {
      ctx.report.note('where', `${name} skipped: time budget`)
      continue
    }
    let t
    try {
      t = await prepareTarget(ctx.subjects, name, `where-${name}`)
      await fanout(t.adapter, { subscribers: 2, senders: 1, messages: 10, settleMs: 2000, timeoutMs: 10_000 })
    } catch (err) {
      ctx.report.note('where', `${name} skipped: ${String(err.message ?? err).slice(0, 160)}`)
      continue
    }
    let profiler
    let profile
    const r = await fanout(t.adapter, {
      ...P.load,
      timeoutMs: 30_000,
      onStart: async () => (profiler = await startProfile(PORTS.sbMfInspector, WORKER_NAME)),
      onEnd: async () => (profile = await profiler.stop()),
    })
    if (!profile || r.delivered === 0) {
      ctx.report.note(
        'where',
        `${name}: no usable profile (${r.delivered}/${r.expected} delivered while profiling)`,
      )
      continue
    }
    // BENCH_PROFILE_DIR=<dir> keeps each raw profile (open it in Chrome DevTools' Performance tab).
    if (process.env.BENCH_PROFILE_DIR) {
      const file = path.join(process.env.BENCH_PROFILE_DIR, `where-${name}-${Date.now()}.cpuprofile`)
      writeFileSync(file, JSON.stringify(profile))
      ctx.report.note('where', `${name}: profile kept in ${file}`)
    }
    const s = summarizeProfile(profile, GROUPS)
    for (const [label, share] of Object.entries(s.groups)) {
      if (share < 0.005) continue
      ctx.report.add({
        suite: 'where',
        name: `where/${name} ${label}`,
        value: share * 100,
        unit: '% of isolate CPU',
        digits: 1,
      })
    }
    ctx.report.note(
      'where',
      `${name} top self time: ${s.top
        .slice(0, 8)
        .map((x) => `${x.fn} ${(x.share * 100).toFixed(0)}%`)
        .join(
          ', ',
        )}; isolate busy ${(s.busyShare * 100).toFixed(0)}% of the send phase (${r.delivered}/${r.expected} delivered)`,
    )
  }
}
