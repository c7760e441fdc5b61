import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { DEV_CONFIGS } from '../../scripts/dev'
import { E2E_VARS } from './test-env'

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string
  }
}

const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => srv.close(() => resolve(true)))
      .listen(port, '127.0.0.1')
  })
}

async function freePort(): Promise<number> {
  for (let p = 8810; p <= 8819; p++) if (await portFree(p)) return p
  throw new Error('e2e: no free port in 8810-8819')
}

/**
 * `wrangler dev` runs the pages Worker's custom build once more when its watcher of `web/src` is
 * ready, then reloads the Worker ("The file web/src changed, restarting build..."). That usually
 * happens before the server first answers; on a loaded machine it can come after, and a socket
 * connecting during the reload may hang. So the tests start once that rebuild is applied (bounded:
 * a wrangler that does not rebuild at start costs 20 s, not a failure).
 */
async function startupRebuildApplied(output: () => string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    const text = output()
    const rebuild = text.lastIndexOf('restarting build')
    if (rebuild >= 0 && /Starting local server|Local server updated and ready/.test(text.slice(rebuild)))
      return
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * Starts `wrangler dev` on a free port with a throw-away local state (D1 migrated first) and the
 * test secrets, waits for /health, and provides its base URL to the e2e tests.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'))
  const migrate = spawnSync(
    'npx',
    ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', dir],
    {
      env,
      encoding: 'utf8',
    },
  )
  if (migrate.status !== 0) throw new Error(`e2e: migrations failed\n${migrate.stdout}\n${migrate.stderr}`)
  const port = await freePort()
  const vars = Object.entries(E2E_VARS).flatMap(([k, v]) => ['--var', `${k}:${v}`])
  const child: ChildProcess = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      ...DEV_CONFIGS,
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--persist-to',
      dir,
      '--inspector-port',
      '0',
      ...vars,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  const baseUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`e2e: wrangler dev exited\n${output}`)
    try {
      const res = await fetch(`${baseUrl}/health`)
      if (res.ok) break
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL')
      throw new Error(`e2e: wrangler dev did not become healthy\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  await startupRebuildApplied(() => output)
  project.provide('baseUrl', baseUrl)
  return () => {
    try {
      process.kill(-child.pid!, 'SIGTERM')
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true })
  }
}
