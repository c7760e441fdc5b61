// Results: one `bench: …` line per figure as it is measured, a final table, and files in bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fmt } from './stats.mjs'

export function createReport({ dir, mode, command, code }) {
  const rows = []
  const started = new Date()
  const loadAtStart = os.loadavg()
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model?.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`
  return {
    rows,
    machine,
    /**
     * Records one figure. `vs` maps a reference name to its value (same unit); ratios are this/ref,
     * or ref/this when `lowerIsBetter` (so > 1 always means "Switchboard ahead").
     */
    add({ suite, name, value, unit, digits = 0, vs = {}, lowerIsBetter = false, pass, target, note = '' }) {
      const ratios = Object.entries(vs)
        .filter(([, ref]) => Number.isFinite(ref) && ref > 0 && Number.isFinite(value))
        .map(([ref, refValue]) => ({ ref, ratio: lowerIsBetter ? refValue / value : value / refValue }))
      const row = { suite, name, value, unit, digits, ratios, pass, note, load: os.loadavg()[0] }
      // A target is a verdict on one ratio (`ratio ≥ atLeast` vs `ref`), reported, not a failed check.
      // Several targets on one figure: one per reference (e.g. the bare floor and the contract's floor).
      // `bound`: what a reference that does only the unavoidable work reached against `ref` in the
      // same run; below `atLeast`, the target is out of reach here (not met, and not missed).
      row.targets = [target ?? []].flat().map((t) => {
        const ratio = ratios.find((r) => r.ref === t.ref)?.ratio
        const met = ratio !== undefined && ratio >= t.atLeast
        return { ...t, ratio, met, outOfReach: !met && t.bound !== undefined && t.bound.ratio < t.atLeast }
      })
      rows.push(row)
      const ratioText = ratios.length
        ? ` (${ratios.map((r) => `${r.ratio.toFixed(2)}× vs ${r.ref}`).join(', ')})`
        : ''
      const passText = pass === undefined ? '' : pass ? ' PASS' : ' FAIL'
      const targetText = row.targets.map((t) => ` [${targetVerdict(t)}]`).join('')
      console.log(
        `bench: ${name} ${typeof value === 'number' ? fmt(value, digits) : value} ${unit}${ratioText}${passText}${targetText}${note ? ` — ${note}` : ''}`,
      )
      return row
    },
    note(suite, text) {
      rows.push({ suite, name: 'note', value: text, unit: '', ratios: [], note: '' })
      console.log(`bench: note ${suite}: ${text}`)
    },
    finish() {
      const table = `${renderTable(rows)}${renderTargets(rows)}`
      const seconds = (Date.now() - started.getTime()) / 1000
      const load = (l) => l.map((x) => x.toFixed(1)).join(' / ')
      const header = `Machine: ${machine}\nCommand: ${command}\nCode: ${code}\nStarted: ${started.toISOString()}, took ${seconds.toFixed(0)} s, mode ${mode}\nLoad average (1 / 5 / 15 min): ${load(loadAtStart)} at the start, ${load(os.loadavg())} at the end\n`
      console.log(`\n${header}\n${table}`)
      mkdirSync(dir, { recursive: true })
      const stamp = started.toISOString().replace(/[:.]/g, '-')
      writeFileSync(
        path.join(dir, `${stamp}-${mode}.json`),
        JSON.stringify({ machine, command, code, started, seconds, rows }, null, 2),
      )
      writeFileSync(path.join(dir, `${stamp}-${mode}.md`), `${header}\n${table}\n`)
      writeFileSync(path.join(dir, `latest-${mode}.md`), `${header}\n${table}\n`)
      return { seconds, failed: rows.filter((r) => r.pass === false) }
    },
  }
}

/** `target ≥0.80× vs floor-wd: met (0.91×)`, or `…: OUT OF REACH (0.51×; floor+contract-wd itself 0.58×)`. */
const targetVerdict = (t) =>
  `target ≥${t.atLeast.toFixed(2)}× vs ${t.ref}: ${t.ratio === undefined ? 'NOT MEASURED' : `${verdictWord(t)} (${onSide(t.ratio, t.atLeast)}×${t.outOfReach ? `; ${t.bound.ref} itself ${onSide(t.bound.ratio, t.atLeast)}×` : ''})`}`

/** `ratio` to two places, or more where two would round it onto the other side of `line` (0.666 against 0.667). */
const onSide = (ratio, line) => {
  let digits = 2
  while (digits < 6 && Number(ratio.toFixed(digits)) >= line !== ratio >= line) digits++
  return ratio.toFixed(digits)
}
/** A target's verdict as the report words it: `met`, `OUT OF REACH` or `MISSED`. */
export const verdictWord = (t) => (t.met ? 'met' : t.outOfReach ? 'OUT OF REACH' : 'MISSED')

/** The targets' verdicts, one line each, after the table. */
function renderTargets(rows) {
  const targets = rows.flatMap((r) => (r.targets ?? []).map((t) => ({ name: r.name, t })))
  if (!targets.length) return ''
  const met = targets.filter(({ t }) => t.met).length
  const out = targets.filter(({ t }) => t.outOfReach).length
  const lines = targets.map(({ name, t }) => `- ${t.label ?? name}: ${targetVerdict(t)}`)
  const reach = out
    ? `; ${out} out of reach here (a reference named on its line, which Switchboard cannot beat, misses them itself)`
    : ''
  return `\n\nTargets: ${met} of ${targets.length} met${reach}\n${lines.join('\n')}\n`
}

function renderTable(rows) {
  const lines = [
    '| suite | run | figure | ratios (>1 = Switchboard ahead) | result | note |',
    '| --- | --- | --- | --- | --- | --- |',
  ]
  for (const r of rows) {
    if (r.name === 'note') {
      lines.push(`| ${r.suite} | note | ${r.value} | | | |`)
      continue
    }
    const v = typeof r.value === 'number' ? fmt(r.value, r.digits) : r.value
    const ratios = r.ratios.map((x) => `${x.ratio.toFixed(2)}× vs ${x.ref}`).join(', ')
    const pass =
      r.pass !== undefined
        ? r.pass
          ? 'pass'
          : '**FAIL**'
        : (r.targets ?? [])
            .map(
              (t) =>
                `target ≥${t.atLeast.toFixed(2)}× vs ${t.ref}: ${t.met ? 'met' : t.outOfReach ? '*out of reach*' : '**missed**'}`,
            )
            .join('; ')
    lines.push(`| ${r.suite} | ${r.name} | ${v} ${r.unit} | ${ratios} | ${pass} | ${r.note ?? ''} |`)
  }
  return lines.join('\n')
}
