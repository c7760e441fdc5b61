import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The README's first command, for real: a fresh state directory, no .dev.vars, `npm run dev`'s
// script — then the dev admin and the service key must work against the server it started.
let port = 0
let base = ''
const free = (p: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => srv.close(() => resolve(true)))
      .listen(p, '127.0.0.1')
  })
const dir = mkdtempSync(join(tmpdir(), 'switchboard-dev-'))
const varsFile = join(dir, '.dev.vars')
let child: ChildProcess
let output = ''

beforeAll(async () => {
  // A port nobody else (another run of this suite, say) is using: else /health could answer for them.
  for (let p = 8850; p < 8860 && !port; p++) if (await free(p)) port = p
  if (!port) throw new Error('no free port in 8850-8859')
  base = `http://127.0.0.1:${port}`
  child = spawn(
    'npx',
    ['tsx', 'scripts/dev.ts', '--port', String(port), '--persist-to', dir, '--vars-file', varsFile],
    {
      env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const deadline = Date.now() + 80_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited:\n${output}`)
    const up = await fetch(`${base}/health`)
      .then((r) => r.ok)
      .catch(() => false)
    if (up) break
    if (Date.now() > deadline) throw new Error(`npm run dev never served /health:\n${output}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}, 90_000)

afterAll(() => {
  if (child?.pid) process.kill(-child.pid, 'SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

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
})
