import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  canSeeProcesses,
  commandOf,
  descendants,
  listening,
  running,
  startDev,
  untilGone,
  untilServing,
  type DevRun,
} from './dev-process'

// The README's first command, for real: a fresh state directory, no .dev.vars, `npm run dev` —
// then the dev admin and the service key must work against the server it started, and one
// SIGTERM to it must stop everything it started.
let run: DevRun
let port = 0
let base = ''
let varsFile = ''
let output = ''

beforeAll(async () => {
  run = await startDev([8850, 8860])
  ;({ port, base, varsFile } = run)
  await untilServing(run)
  output = run.output()
}, 90_000)

afterAll(() => run?.cleanup())

describe('npm run dev', () => {
  it('should write development settings with a fresh JWT secret', () => {
    const vars = readFileSync(varsFile, 'utf8')
    expect(vars).toMatch(/^ENVIRONMENT=development$/m)
    expect(vars).toMatch(/^JWT_SECRET=[\w-]{43}$/m)
  })

  it('should print where it serves and the dev credentials', () => {
    expect(output).toContain(`serving on http://localhost:${port}`)
    expect(output).toContain('admin admin@switchboard.local / switchboard-admin')
    expect(output).toContain('service API key dev-service-key')
  })

  it('should seed a working admin (staff sign-in at /auth/verifyuser)', async () => {
    const res = await fetch(`${base}/auth/verifyuser`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin@switchboard.local', password: 'switchboard-admin' }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { data: { token: string } }).data.token.split('.')).toHaveLength(3)
  })

  it('should seed a working service API key (GET /auth/create)', async () => {
    const res = await fetch(`${base}/auth/create`, { headers: { 'x-api-key': 'dev-service-key' } })
    expect(res.status).toBe(200)
  })

  it('should serve the auth golden path on the migrated local D1', async () => {
    const email = `dev-${Date.now()}@test.local`
    const reg = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'password123', name: 'Dev' }),
    })
    expect(reg.status).toBe(201)
    const { data } = (await reg.json()) as { data: { access_token: string } }
    const me = await fetch(`${base}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${data.access_token}` },
    })
    expect(((await me.json()) as { data: { email: string } }).data.email).toBe(email)
  })

  it.skipIf(!canSeeProcesses)(
    'should stop every process it started on one SIGTERM to the npm process',
    async () => {
      const started = descendants(run.child.pid!)
      // npm, the script's shell and node, wrangler's two node processes and workerd.
      expect(started.map(commandOf).some((c) => /workerd/.test(c))).toBe(true)
      process.kill(run.child.pid!, 'SIGTERM')
      const left = await untilGone([run.child.pid!, ...started])
      expect(left.map((pid) => `${pid} ${commandOf(pid)}`)).toEqual([])
      expect(running(run.child.pid!)).toBe(false)
      expect(await listening(port)).toBe(false)
    },
    30_000,
  )
})
