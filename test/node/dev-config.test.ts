import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// Issue 16 item 8: a configuration the Worker cannot serve with stops `npm run dev` before it
// starts anything, with every problem listed at once and a non-zero exit.
const dir = mkdtempSync(join(tmpdir(), 'switchboard-devconf-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function dev(vars: string) {
  const varsFile = join(dir, `bad-${Math.random().toString(36).slice(2)}.vars`)
  writeFileSync(varsFile, vars)
  const state = join(dir, 'state')
  return {
    state,
    run: spawnSync(
      'npm',
      ['run', 'dev', '--', '--port', '8899', '--persist-to', state, '--vars-file', varsFile],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
    ),
  }
}

describe('npm run dev with a bad configuration', () => {
  it('should exit non-zero before serving, listing every problem with the field of each node', () => {
    const { run, state } = dev(
      [
        'ENVIRONMENT=development',
        'JWT_SECRET=short',
        'LIVEKIT_API_KEY=devkey',
        'LIVEKIT_API_SECRET=secret',
        'LIVEKIT_NODES=[{"name":"x"}]',
        'EGRESS_LIMIT=four',
        'ALLOWED_ORIGINS=*',
        'ALLOW_CREDENTIALS=true',
        'DEV_ADMIN_EMAIL=admin@switchboard.local',
        'DEV_ADMIN_PASSWORD=switchboard-admin',
        'DEV_API_KEY=dev-service-key',
      ].join('\n'),
    )
    const output = run.stdout + run.stderr
    expect(run.status, output).not.toBe(0)
    for (const problem of [
      'JWT_SECRET: must be at least 32 characters',
      'LIVEKIT_URL: is required',
      'LIVEKIT_NODES[0].url: is required',
      'LIVEKIT_NODES[0].apiKey: is required',
      'LIVEKIT_NODES[0].apiSecret: is required',
      'EGRESS_LIMIT: must be a number',
      'ALLOWED_ORIGINS: cannot be * when ALLOW_CREDENTIALS is true',
    ])
      expect(output).toContain(problem)
    expect(output).not.toContain('LIVEKIT_NODES: is required')
    expect(output).not.toContain('serving on')
    // Nothing was started or written: no migration ran.
    expect(output).not.toContain('local D1 migrated')
    expect(existsSync(state)).toBe(false)
  }, 70_000)
})
