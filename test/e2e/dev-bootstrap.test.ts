import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { canSeeProcesses, listening, running, stopDev, useDev } from './dev-process'

// The README's first command, for real: a fresh state directory, no .dev.vars, `npm run dev` —
// then the dev admin and the service key must work against the server it started, and one
// SIGTERM to it must stop everything it started.
const dev = useDev([8850, 8860])

describe('npm run dev', () => {
  it('should write development settings with a fresh JWT secret', () => {
    const vars = readFileSync(dev().varsFile, 'utf8')
    expect(vars).toMatch(/^ENVIRONMENT=development$/m)
    expect(vars).toMatch(/^JWT_SECRET=[\w-]{43}$/m)
  })

  it('should print where it serves and the dev credentials', () => {
    const output = dev().output()
    expect(output).toContain(`serving on http://localhost:${dev().port}`)
    expect(output).toContain('admin admin@switchboard.local / switchboard-admin')
    expect(output).toContain('service API key dev-service-key')
  })

  it('should seed a working admin (staff sign-in at /auth/verifyuser)', async () => {
    const res = await fetch(`${dev().base}/auth/verifyuser`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin@switchboard.local', password: 'switchboard-admin' }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { data: { token: string } }).data.token.split('.')).toHaveLength(3)
  })

  it('should seed a working service API key (GET /auth/create)', async () => {
    const res = await fetch(`${dev().base}/auth/create`, { headers: { 'x-api-key': 'dev-service-key' } })
    expect(res.status).toBe(200)
  })

  it('should serve the auth golden path on the migrated local D1', async () => {
    const email = `dev-${Date.now()}@test.local`
    const reg = await fetch(`${dev().base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'password123', name: 'Dev' }),
    })
    expect(reg.status).toBe(201)
    const { data } = (await reg.json()) as { data: { access_token: string } }
    const me = await fetch(`${dev().base}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${data.access_token}` },
    })
    expect(((await me.json()) as { data: { email: string } }).data.email).toBe(email)
  })

  it.skipIf(!canSeeProcesses)(
    'should stop every process it started on one SIGTERM to the npm process',
    async () => {
      const run = dev()
      const { started, left } = await stopDev(run, 'SIGTERM', 'npm')
      // npm, the script's shell and node, wrangler's two node processes and workerd.
      expect(started.some((c) => /workerd/.test(c))).toBe(true)
      expect(left).toEqual([])
      expect(running(run.child.pid!)).toBe(false)
      expect(await listening(run.port)).toBe(false)
    },
    30_000,
  )
})
