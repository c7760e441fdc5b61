// `npm run bench` — every benchmark and reliability run, bounded to < 10 minutes on 2 cores,
// traffic to 127.0.0.1 only. `node bench/run.mjs --smoke` proves the harness in about a minute;
// `--only fanout,rest` runs some suites (`--only shards`: the sharded live session, not in the
// default run), `--targets a,b` some subjects, `--scenarios 50x5-sat` some fan-out shapes.
// Results: printed `bench: …` lines, a final table, and
// bench/results/latest-<mode>.md (+ a timestamped .json/.md).
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createReport } from './lib/report.mjs'
import { RESULTS, ROOT, SUBJECT_ROOT } from './lib/servers.mjs'
import { createSubjects } from './lib/subjects.mjs'
import { FANOUT_TARGETS } from './lib/targets.mjs'
import { PROFILES } from './profiles.mjs'
import * as connections from './suites/connections.mjs'
import * as fanout from './suites/fanout.mjs'
import * as fuzz from './suites/fuzz.mjs'
import * as reliability from './suites/reliability.mjs'
import * as rest from './suites/rest.mjs'
import * as shards from './suites/shards.mjs'
import * as where from './suites/where.mjs'

// Correctness runs first, so a slow machine trims measurements rather than checks. `where`
// profiles a freshly started isolate (after the fan-out runs its profile came back empty twice).
const SUITES = { reliability, fuzz, where, fanout, rest, connections, shards }
/** Suites that run only when `--only` names them (longer than the default run's budget allows). */
const OPT_IN = new Set(['shards'])

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    only: { type: 'string' },
    targets: { type: 'string' },
    scenarios: { type: 'string' },
  },
})
const mode = values.smoke ? 'smoke' : 'full'
const profile = PROFILES[mode]
const only = values.only?.split(',')
const selected = (name) => (only ? only.includes(name) : !OPT_IN.has(name))
// `--targets floor-wd,sb-sio-wd` keeps only those fan-out / connection targets (before/after runs);
// a scenario's `optional` targets run only when named so.
if (values.targets) {
  const keep = new Set(values.targets.split(','))
  for (const sc of profile.fanout.scenarios)
    sc.targets = [...sc.targets, ...(sc.optional ?? [])].filter((t) => keep.has(t))
  profile.where.targets = profile.where.targets.filter((t) => keep.has(t))
  for (const t of Object.keys(profile.connections.targets))
    if (!keep.has(t)) delete profile.connections.targets[t]
}
// `--scenarios 50x5-sat,500x5-sat` keeps only those fan-out shapes.
if (values.scenarios) {
  const keep = new Set(values.scenarios.split(','))
  profile.fanout.scenarios = profile.fanout.scenarios.filter((sc) => keep.has(sc.id))
}
mkdirSync(RESULTS, { recursive: true })

/** A checkout's commit, `-dirty` when its tracked files differ from it. */
const describe = (dir) => {
  try {
    return execFileSync('git', ['-C', dir, 'describe', '--always', '--dirty', '--abbrev=7'], {
      encoding: 'utf8',
    }).trim()
  } catch {
    return 'unknown'
  }
}
/** The code under test, and the bench's own when it runs another checkout (BENCH_SUBJECT_ROOT). */
const code = SUBJECT_ROOT === ROOT ? describe(ROOT) : `${describe(SUBJECT_ROOT)} (bench at ${describe(ROOT)})`

const startedAt = Date.now()
const ctx = {
  profile,
  mode,
  results: {},
  subjects: createSubjects({ shardLimit: profile.shards.perShard }),
  report: createReport({
    dir: RESULTS,
    mode,
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    code,
  }),
  suite: '',
  /** Seconds left of the whole run's budget, less what the suites still to come have reserved. */
  timeLeft: () => {
    const later = Object.keys(SUITES).slice(Object.keys(SUITES).indexOf(ctx.suite) + 1)
    const reserved = later.filter(selected).reduce((a, name) => a + (profile.reserveS[name] ?? 0), 0)
    return profile.budgetS - (Date.now() - startedAt) / 1000 - reserved
  },
}

// Start every server the selected suites use, in the order they are first needed, one after
// another in the background: the first suite waits only for its own server.
const uses = {
  reliability: ['sb-wd'],
  fuzz: ['sb-wd'],
  where: ['sb-wd'],
  fanout: profile.fanout.scenarios.flatMap((s) => s.targets).map((t) => FANOUT_TARGETS[t].server),
  rest: Object.entries(profile.rest.floor).flatMap(([server, floor]) => [floor, server]),
  connections: Object.keys(profile.connections.targets).map((t) => FANOUT_TARGETS[t].server),
  shards: ['sb-mf-shards'],
}
ctx.subjects.prestart([
  ...new Set(
    Object.keys(SUITES)
      .filter(selected)
      .flatMap((name) => uses[name]),
  ),
])

// The sharded room's run (`--only shards`) may take longer than the default run's hard stop.
const hardLimitS = selected('shards')
  ? Math.max(profile.hardLimitS, profile.shards.hardLimitS)
  : profile.hardLimitS
const hardStop = setTimeout(() => {
  console.error('bench: hard time limit reached, stopping servers')
  ctx.subjects.stopAll().finally(() => process.exit(2))
}, hardLimitS * 1000)
hardStop.unref()
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping servers`)
    ctx.subjects.stopAll().finally(() => process.exit(130))
  })

let crashed = 0
try {
  for (const [name, suite] of Object.entries(SUITES)) {
    if (!selected(name)) continue
    const t0 = Date.now()
    ctx.suite = name
    try {
      await suite.run(ctx)
    } catch (err) {
      crashed++
      ctx.report.note(name, `suite failed: ${String(err?.stack ?? err).slice(0, 500)}`)
    }
    const took = `${((Date.now() - t0) / 1000).toFixed(0)} s`
    console.log(`bench: suite ${name} took ${took}`)
    ctx.report.note(name, `suite took ${took}`)
  }
} finally {
  await ctx.subjects.stopAll()
}
const { failed, seconds } = ctx.report.finish()
console.log(
  `bench: done in ${seconds.toFixed(0)} s, ${failed.length} failed checks, ${crashed} crashed suites`,
)
process.exit(failed.length || crashed ? 1 : 0)
