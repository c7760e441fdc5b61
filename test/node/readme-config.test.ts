import { readFileSync } from 'node:fs'
import { isDeepStrictEqual } from 'node:util'
import { unstable_readConfig } from 'wrangler'
import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { configSchema } from '../../src/worker/config'

// The README's Configuration table against the code: every setting the Worker reads is in it, it
// names nothing the Worker does not read, and each default it states is the one a Worker deployed
// from this wrangler.toml gets (its [vars], else the schema's default).
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const section = readme.slice(readme.indexOf('\n## Configuration'), readme.indexOf('\n## Deployment'))
const keys = Object.keys(configSchema.shape)
const shape = configSchema.shape as Record<string, z.ZodType>
const vars = unstable_readConfig({ config: 'wrangler.toml' }, { hideWarnings: true }).vars as Record<
  string,
  string
>

interface Row {
  names: string[]
  defaults: string[]
  cell: string
}

/** `JOIN_CODE_LIMIT_PER_IP` / `_PER_ACCOUNT` → the suffix completed from the name before it; `RADIO_*` → every key. */
function expand(token: string, first: string | undefined): string[] {
  if (token.endsWith('*')) return keys.filter((k) => k.startsWith(token.slice(0, -1)))
  if (token.startsWith('_') && first) {
    const parts = first.split('_')
    for (let i = parts.length - 1; i > 0; i--) {
      const name = parts.slice(0, i).join('_') + token
      if (keys.includes(name)) return [name]
    }
    return [`?${token}`]
  }
  return [token]
}

const rows: Row[] = section
  .split('\n')
  .filter((l) => /^\| `/.test(l))
  .map((line) => {
    const [setting, cell] = line.split('|').slice(1, 3)
    const tokens = [...setting.matchAll(/`([^`]+)`/g)].map((m) => m[1])
    const names = tokens.flatMap((t) => expand(t, tokens[0]))
    const split = setting.includes(' / ') ? ' / ' : ', '
    return { names, defaults: cell.trim().split(split), cell: cell.trim() }
  })
const named = rows.flatMap((r) => r.names)

/** What a stated default means: a value in backticks, `empty`, or `—` (none: required). */
function stated(text: string): { value: string } | { required: true } | undefined {
  const quoted = /^`([^`]*)`/.exec(text.trim())
  if (quoted) return { value: quoted[1] }
  if (/^empty\b/.test(text.trim())) return { value: '' }
  if (/^—/.test(text.trim())) return { required: true }
  return undefined // prose (e.g. "seed 000's"): not checked
}

describe('README Configuration table', () => {
  it('should name every setting the Worker reads', () => {
    expect(keys.filter((k) => !named.includes(k))).toEqual([])
  })

  it('should name only settings the Worker reads', () => {
    expect(named.filter((n) => !keys.includes(n))).toEqual([])
  })

  it('should state the default a Worker deployed from wrangler.toml gets', () => {
    const wrong: string[] = []
    for (const row of rows) {
      const pairs =
        row.defaults.length === row.names.length
          ? row.names.map((n, i) => [n, row.defaults[i]] as const)
          : row.cell.startsWith('—')
            ? row.names.map((n) => [n, row.cell] as const)
            : [[row.names[0], row.defaults[0]] as const]
      for (const [name, text] of pairs) {
        const claim = stated(text)
        if (!claim) continue
        const effective = shape[name].safeParse(vars[name] === '' ? undefined : vars[name])
        if ('required' in claim) {
          if (effective.success)
            wrong.push(`${name}: README says none, it is ${JSON.stringify(effective.data)}`)
          continue
        }
        const said = shape[name].safeParse(claim.value === '' ? undefined : claim.value)
        if (!effective.success || !said.success || !isDeepStrictEqual(said.data, effective.data))
          wrong.push(
            `${name}: README says ${JSON.stringify(claim.value)}, it is ${JSON.stringify(effective.success ? effective.data : 'required')}`,
          )
      }
    }
    expect(wrong).toEqual([])
  })
})
