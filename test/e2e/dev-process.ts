import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'

/** `npm run dev` as a newcomer starts it, in a state directory of its own. */
export interface DevRun {
  child: ChildProcess
  port: number
  base: string
  dir: string
  varsFile: string
  output: () => string
  /** Kills whatever is left of the run (its process group) and removes its state directory. */
  cleanup: () => void
}

const free = (p: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => srv.close(() => resolve(true)))
      .listen(p, '127.0.0.1')
  })

/** True when something accepts connections on 127.0.0.1:`port`. */
export const listening = async (port: number) => !(await free(port))

/**
 * Runs the README's command, `npm run dev -- --port <p> --persist-to <dir> --vars-file <file>`, in
 * a process group of its own (as a terminal runs a foreground job). `vars` is written to the vars
 * file first (none: `npm run dev` writes its defaults).
 */
export async function startDev(ports: [number, number], vars?: string): Promise<DevRun> {
  let port = 0
  // A port nobody else (another run of the suite, say) is using: else /health could answer for them.
  for (let p = ports[0]; p < ports[1] && !port; p++) if (await free(p)) port = p
  if (!port) throw new Error(`no free port in ${ports[0]}-${ports[1] - 1}`)
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-dev-'))
  const varsFile = join(dir, '.dev.vars')
  if (vars !== undefined) writeFileSync(varsFile, vars)
  // A person's terminal: vitest's NODE_ENV=test would, for one, turn off miniflare's Request.cf fetch.
  const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }
  for (const key of Object.keys(env))
    if (/^(NODE_ENV|VITEST.*|VITE_.*|TEST|SSR|DEV|PROD)$/.test(key)) delete env[key]
  const child = spawn(
    'npm',
    ['run', 'dev', '--', '--port', String(port), '--persist-to', dir, '--vars-file', varsFile],
    {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    dir,
    varsFile,
    output: () => out,
    cleanup: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * `npm run dev` for the tests of one file: started on a free port in `ports` and serving before
 * them, killed (with its state directory) after them. Call the answer for the run.
 */
export function useDev(ports: [number, number]): () => DevRun {
  let run: DevRun | undefined
  beforeAll(async () => {
    run = await startDev(ports)
    await untilServing(run)
  }, 90_000)
  afterAll(() => run?.cleanup())
  return () => {
    if (!run) throw new Error('npm run dev is not running (only inside the tests of this file)')
    return run
  }
}

/** Waits until `run` serves /health (or fails with its output). */
export async function untilServing(run: DevRun, timeoutMs = 80_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`npm run dev exited:\n${run.output()}`)
    const up = await fetch(`${run.base}/health`)
      .then((r) => r.ok)
      .catch(() => false)
    if (up) return
    if (Date.now() > deadline) throw new Error(`npm run dev never served /health:\n${run.output()}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

/** A process's state letter from /proc (undefined when it no longer exists). */
function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return undefined
  }
}

/** True while `pid` runs (a zombie, exited but not yet reaped, counts as gone). */
export const running = (pid: number) => {
  const s = stateOf(pid)
  return s !== undefined && s !== 'Z'
}

/** Every live descendant of `pid` (children, their children, …), from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      /* gone meanwhile */
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) if (parent === p && running(child)) (out.push(child), walk(child))
  }
  walk(pid)
  return out
}

/** The command line of `pid` (for a failure message). */
export const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
  } catch {
    return '(gone)'
  }
}

/** Waits until none of `pids` runs; returns those still running after `timeoutMs`. */
export async function untilGone(pids: number[], timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const left = pids.filter(running)
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * Sends `signal` to the dev command — to its npm process (`'npm'`, as `kill <pid>` does) or to its
 * whole process group (`'group'`, as Ctrl-C in a terminal does) — and waits for everything it had
 * started to end. Answers what it had started and what still runs (`<pid> <command line>`).
 */
export async function stopDev(
  run: DevRun,
  signal: NodeJS.Signals,
  to: 'npm' | 'group',
): Promise<{ started: string[]; left: string[] }> {
  const pid = run.child.pid!
  const started = [pid, ...descendants(pid)]
  const names = started.map((p) => `${p} ${commandOf(p)}`)
  process.kill(to === 'group' ? -pid : pid, signal)
  const left = await untilGone(started)
  return { started: names, left: left.map((p) => `${p} ${commandOf(p)}`) }
}

/** /proc is Linux's: the process checks need it. */
export const canSeeProcesses = existsSync('/proc/self/stat')
