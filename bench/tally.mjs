// How often each target held: reads the full runs in bench/results/ (`npm run bench`, no
// options) and prints, per target, how many runs met it, missed it and found it out of reach,
// with the range and median of its ratio. One run's verdicts are the run's (a shared 2-core
// machine moves a ratio ±0.1 between runs minutes apart); this is the view over many.
//
//   node bench/tally.mjs [--since 2026-11-28T00] [--code d0c0f22] [--all] [--dir bench/results]
//
// `--since`: runs started at or after that ISO time (a prefix will do); `--code`: runs of that
// checkout (the `Code:` line of a result, recorded since 2026-11-28); `--all`: every target, not
// only those some run did not meet. Runs with another set of targets than the newest selected
// run's are left out and counted.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { verdictWord } from './lib/report.mjs'

const { values: opts } = parseArgs({
  options: {
    since: { type: 'string' },
    code: { type: 'string' },
    all: { type: 'boolean', default: false },
    dir: {
      type: 'string',
      default: path.join(path.dirname(fileURLToPath(import.meta.url)), 'results'),
    },
  },
})

const runs = (existsSync(opts.dir) ? readdirSync(opts.dir) : [])
  .filter((f) => /^\d{4}-.*-full\.json$/.test(f))
  // Files are named by their start time (`:` and `.` as `-`): skip earlier ones unread.
  .filter((f) => !opts.since || f >= opts.since.replace(/[:.]/g, '-'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(opts.dir, f), 'utf8')))
  .filter((r) => r.command === 'node bench/run.mjs') // the default run: every suite, every subject
  .filter((r) => !opts.code || (r.code ?? '').startsWith(opts.code))

/** Runs per verdict, keyed by the report's words for them. */
const noVerdicts = () => ({ met: 0, MISSED: 0, 'OUT OF REACH': 0 })

const targetsOf = (run) =>
  run.rows.flatMap((row) => (row.targets ?? []).map((t) => ({ key: `${t.label} vs ${t.ref}`, ...t })))
const shape = (run) =>
  targetsOf(run)
    .map((t) => t.key)
    .sort()
    .join('\n')

if (!runs.length) {
  console.log('tally: no full runs selected')
  process.exit(0)
}
const newest = shape(runs.at(-1))
const same = runs.filter((r) => shape(r) === newest)

const byTarget = new Map()
for (const run of same)
  for (const t of targetsOf(run)) {
    const e = byTarget.get(t.key) ?? { ...noVerdicts(), ratios: [], atLeast: t.atLeast }
    e[verdictWord(t)]++
    if (t.ratio !== undefined) e.ratios.push(t.ratio)
    byTarget.set(t.key, e)
  }

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const x = (v) => `${v.toFixed(2)}×`

console.log(
  `tally: ${same.length} full runs with the newest run's ${byTarget.size} targets` +
    (runs.length > same.length ? ` (${runs.length - same.length} with other targets left out)` : ''),
)
for (const run of same) {
  const n = noVerdicts()
  for (const t of targetsOf(run)) n[verdictWord(t)]++
  console.log(
    `  ${new Date(run.started).toISOString().slice(0, 16)}Z ${run.code ?? '(code not recorded)'}: ` +
      `${n.met} met, ${n.MISSED} missed, ${n['OUT OF REACH']} out of reach, ${Math.round(run.seconds)} s`,
  )
}
const rows = [...byTarget].sort(([, a], [, b]) => a.met - b.met)
const heldAlways = (e) => !e.MISSED && !e['OUT OF REACH']
const held = rows.filter(([, e]) => heldAlways(e)).length
console.log(
  `\nHeld in every run: ${held} of ${byTarget.size}. ${opts.all ? 'All' : 'The others'}, least often met first:`,
)
console.log('met | missed | out of reach | ratio min–median–max (target) | target')
for (const [key, e] of rows) {
  if (!opts.all && heldAlways(e)) continue
  const range = e.ratios.length
    ? `${x(Math.min(...e.ratios))}–${x(median(e.ratios))}–${x(Math.max(...e.ratios))}`
    : 'not measured'
  console.log(`${e.met} | ${e.MISSED} | ${e['OUT OF REACH']} | ${range} (≥${x(e.atLeast)}) | ${key}`)
}
