// Starting and stopping the subjects: the Node socket.io baseline, a Worker through `wrangler dev`
// (proxy workerd + user workerd), or the same bundled Worker in one workerd through Miniflare.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { inspectorSession } from './inspector.mjs'
import { assertPortFree, killGroup, quietEnv, spawnGroup, treeProcs, waitHttp } from './proc.mjs'

export const ROOT = path.resolve(import.meta.dirname, '../..')
export const RESULTS = path.join(ROOT, 'bench/results')
/**
 * The Switchboard checkout under test — this one by default; point BENCH_SUBJECT_ROOT at another
 * checkout (e.g. an older commit in a temp dir, with node_modules linked) for before/after runs.
 */
export const SUBJECT_ROOT = path.resolve(process.env.BENCH_SUBJECT_ROOT ?? ROOT)
const WRANGLER = path.join(ROOT, 'node_modules/wrangler/bin/wrangler.js')
const run = promisify(execFile)

/** Temp dirs made for this run (state, bundles, logs), removed when the process exits. */
const made = []
export const tempDir = (name) => {
  const dir = mkdtempSync(path.join(tmpdir(), `switchboard-bench-${name}-`))
  made.push(dir)
  return dir
}
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true, maxRetries: 2 })
})

/** Runs a wrangler command to completion (e.g. migrations, d1 execute, a dry-run bundle). */
export async function wrangler(args, { cwd = ROOT } = {}) {
  const { stdout } = await run(process.execPath, [WRANGLER, ...args], {
    cwd,
    env: quietEnv,
    maxBuffer: 20 * 1024 * 1024,
  })
  return stdout
}

function handle(name, child, url) {
  return {
    name,
    url,
    child,
    /** Processes of the server tree, e.g. `[{pid, comm:'workerd', rssKiB, cpu}]`. */
    procs: () => treeProcs(child.pid),
    workerdRssKiB: () =>
      treeProcs(child.pid)
        .filter((p) => p.comm === 'workerd' || p.comm === 'node')
        .reduce((a, p) => a + p.rssKiB, 0),
    stop: () => killGroup(child, 'SIGKILL'),
  }
}

/** Baseline (a): Node socket.io 4 in memory. */
export async function startNodeSio(port, logFile) {
  await assertPortFree(port)
  const child = spawnGroup(process.execPath, [path.join(ROOT, 'bench/baseline/node-sio.mjs'), String(port)], {
    cwd: ROOT,
    logFile,
  })
  const url = `http://127.0.0.1:${port}`
  await waitHttp(url, 20_000, child)
  return handle('node-sio', child, url)
}

const varArgs = (vars) => Object.entries(vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`])

/**
 * A Worker through `wrangler dev`: wrangler's proxy workerd in front of the user workerd. `pages`:
 * the wrangler.toml files of Workers to run beside it (Switchboard's pages Worker), which wrangler
 * runs from `cwd` (their builds' paths are relative to it).
 */
export async function startWranglerDev({
  config,
  pages = [],
  port,
  inspectorPort,
  persist,
  vars,
  logFile,
  readyPath = '/',
  cwd = path.dirname(config),
}) {
  await assertPortFree(port)
  const configs = [config, ...pages].flatMap((c) => ['-c', c])
  const args = [WRANGLER, 'dev', ...configs, '--ip', '127.0.0.1', '--port', String(port)]
  args.push(
    '--inspector-port',
    String(inspectorPort ?? port + 1),
    '--log-level',
    'warn',
    '--show-interactive-dev-session=false',
  )
  if (persist) args.push('--persist-to', persist)
  args.push(...varArgs(vars))
  // wrangler writes a debug log of everything, whatever `--log-level` says: into the run's temp
  // dir, not ~/.config/.wrangler/logs.
  const env = { ...quietEnv, WRANGLER_LOG_PATH: tempDir('wrangler-log') }
  const child = spawnGroup(process.execPath, args, { cwd, env, logFile })
  const url = `http://127.0.0.1:${port}`
  await waitHttp(url + readyPath, 90_000, child)
  await disableNetworkDomain(inspectorPort ?? port + 1)
  return handle('wrangler-dev', child, url)
}

/**
 * Turns off the runtime's Network domain, which wrangler 4.86's inspector proxy enables whether or
 * not DevTools is attached (workers-sdk#14191, fixed in wrangler 4.100, which needs Node 22): the
 * runtime then reports every subrequest of the Worker — each request it passes to a Durable
 * Object, each D1 query — to the proxy, which keeps each event in a buffer nothing drains and
 * sends it to wrangler's Node process, which formats it into its debug log. Measured here
 * (300 default-path Socket.IO connections through `wrangler dev`): 19–23 ms of Node CPU per
 * connection, the proxy workerd 23–28 ms instead of 13–16, and the proxy's memory growing
 * 25–49 MB per 300 connections for the rest of the run (7–27 with the domain off). This does what
 * wrangler ≥ 4.100 does without DevTools: the bench connects as the DevTools client, sends
 * `Network.disable` and leaves (the runtime keeps it off until wrangler reloads the Worker, which a
 * bench run never does).
 */
async function disableNetworkDomain(inspectorPort) {
  const session = await inspectorSession(inspectorPort)
  try {
    await session.send('Network.disable')
  } finally {
    session.close()
  }
}

/** Bundles a Worker once (`wrangler deploy --dry-run`) for the single-instance runs. */
export async function bundle(config, outdir = tempDir('bundle')) {
  await wrangler(['deploy', '--dry-run', '-c', config, '--outdir', outdir], { cwd: path.dirname(config) })
  const js = readdirSync(outdir).find((f) => f.endsWith('.js'))
  return path.join(outdir, js)
}

/**
 * The same Worker in one workerd process through Miniflare's API (no proxy), `pages` beside it,
 * served from `cwd` (as `startWranglerDev`; the paths it is given are absolute).
 */
export async function startMiniflare({
  config,
  pages,
  script,
  port,
  persist,
  vars,
  logFile,
  inspectorPort,
  readyPath = '/',
  cwd = ROOT,
}) {
  await assertPortFree(port)
  const child = spawnGroup(
    process.execPath,
    [
      path.join(ROOT, 'bench/lib/mf-serve.mjs'),
      JSON.stringify({ config, pages, script, port, persist, vars, inspectorPort }),
    ],
    { cwd, logFile },
  )
  const url = `http://127.0.0.1:${port}`
  await waitHttp(url + readyPath, 90_000, child)
  return handle('miniflare', child, url)
}
