/**
 * `npm run dev`: everything a newcomer needs to run Switchboard locally, with nothing configured.
 *   1. writes `.dev.vars` with development settings and a fresh JWT secret if it is missing;
 *   2. validates the configuration the Worker will get (wrangler.toml [vars] with `.dev.vars` over
 *      them) and stops with every problem listed, before anything is started;
 *   3. applies the D1 migrations to the local database;
 *   4. ensures the development admin account and service API key exist (SPEC §3 bootstrap);
 *   5. prints them and serves the Worker with `wrangler dev`, with the pages Worker beside it
 *      (web/wrangler.toml, whose build makes the browser pages).
 * Flags: `--port <n>` (default 8787, or $PORT), `--persist-to <dir>` (local state directory),
 * `--vars-file <path>` (instead of `.dev.vars`), `--setup-only` (stop after step 4).
 * One SIGINT (Ctrl-C), SIGTERM or SIGHUP to it — or its parent going away — stops `wrangler dev`
 * and every process that started (wrangler runs in a process group of its own that is ended whole).
 * Production never runs this.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { stripVTControlCharacters } from 'node:util'
import { parseConfig } from '../src/worker/config'
import { hashPassword } from '../src/worker/lib/passwords'
import { sha256Hex } from '../src/worker/lib/ids'

const args = process.argv.slice(2)
const flag = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const port = flag('--port') ?? process.env.PORT ?? '8787'
const persistTo = flag('--persist-to')
const setupOnly = args.includes('--setup-only')
const persistArgs = persistTo ? ['--persist-to', persistTo] : []
const DEV_VARS = flag('--vars-file') ?? '.dev.vars'
// wrangler reads .dev.vars by itself; any other file is handed over explicitly.
const envFileArgs = DEV_VARS === '.dev.vars' ? [] : ['--env-file', DEV_VARS]

/**
 * The Workers `wrangler dev` runs: Switchboard's, and the pages Worker its ASSETS binding names
 * (static assets only, web/wrangler.toml). The first is the one that answers on the port.
 */
export const DEV_CONFIGS = ['-c', 'wrangler.toml', '-c', 'web/wrangler.toml']

/** Development settings: enough for every feature except talking to a real LiveKit server. */
export const devDefaults = (apiPort: string): Record<string, string> => ({
  ENVIRONMENT: 'development',
  API_URL: `http://localhost:${apiPort}`,
  JWT_SECRET: randomBytes(32).toString('base64url'),
  // `livekit-server --dev` listens here with the key pair devkey / secret.
  LIVEKIT_URL: 'http://localhost:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
  LIVEKIT_NODES: '[]',
  DEV_ADMIN_EMAIL: 'admin@switchboard.local',
  DEV_ADMIN_PASSWORD: 'switchboard-admin',
  DEV_API_KEY: 'dev-service-key',
  LOG_LEVEL: 'info',
})

/** Parses KEY=VALUE lines (optionally quoted), ignoring comments and blanks. */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    if (line.trimStart().startsWith('#')) continue
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line)
    if (!m) continue
    out[m[1]] = m[2].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1')
  }
  return out
}

function ensureDevVars(): Record<string, string> {
  const defaults = devDefaults(port)
  if (!existsSync(DEV_VARS)) {
    const body = Object.entries(defaults)
      .map(([k, v]) => `${k}=${/[\s#"']/.test(v) ? JSON.stringify(v) : v}`)
      .join('\n')
    writeFileSync(
      DEV_VARS,
      `# Development settings written by \`npm run dev\`. Never commit this file.\n${body}\n`,
    )
    console.log(`dev: wrote ${DEV_VARS} with development defaults and a fresh JWT_SECRET`)
    return defaults
  }
  // Keys added to the defaults later still apply to an older .dev.vars.
  return { ...defaults, ...parseDevVars(readFileSync(DEV_VARS, 'utf8')) }
}

/**
 * wrangler's CLI, run with this Node (no `npx` in between: one process less to pass signals
 * through). Found through its package.json's `bin`, which every release exports (later releases
 * do not export `bin/wrangler.js` itself).
 */
const WRANGLER = (() => {
  const pkg = createRequire(import.meta.url).resolve('wrangler/package.json')
  const { bin } = JSON.parse(readFileSync(pkg, 'utf8')) as { bin: string | Record<string, string> }
  return resolve(dirname(pkg), typeof bin === 'string' ? bin : bin.wrangler)
})()
/**
 * What every wrangler run gets: no prompts, no telemetry, and no fetch of Cloudflare's `Request.cf`
 * sample at start (offline it fails with a stack trace; the Worker does not read `request.cf`).
 */
const wranglerEnv = () => ({
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  ...process.env,
  CI: '1',
})

function wrangler(argv: string[]): string {
  const r = spawnSync(process.execPath, [WRANGLER, ...argv], { encoding: 'utf8', env: wranglerEnv() })
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr)
    throw new Error(`wrangler ${argv.slice(0, 3).join(' ')} failed`)
  }
  return r.stdout
}

/**
 * The settings `wrangler dev` will hand the Worker, merged by wrangler itself: wrangler.toml
 * [vars], with the vars file (`.dev.vars`, or `--vars-file`) over them.
 */
export async function devSettings(varsFile = DEV_VARS): Promise<Record<string, string>> {
  const { unstable_readConfig, unstable_getVarsForDev } = await import('wrangler')
  const config = unstable_readConfig({ config: 'wrangler.toml' }, { hideWarnings: true })
  const envFiles = varsFile === '.dev.vars' ? undefined : [resolve(varsFile)]
  const vars = unstable_getVarsForDev(config.configPath, envFiles, config.vars, undefined, true)
  return Object.fromEntries(
    Object.entries(vars).map(([k, b]) => [
      k,
      typeof b.value === 'string' ? b.value : JSON.stringify(b.value),
    ]),
  )
}

/** Stops `npm run dev` before anything starts when the Worker could not serve with these settings. */
async function checkConfiguration(): Promise<void> {
  const parsed = parseConfig(await devSettings())
  if (parsed.success) return
  console.error(
    `dev: the configuration is not usable (${DEV_VARS} over wrangler.toml [vars]); nothing was started:`,
  )
  for (const issue of parsed.issues) console.error(`dev:   ${issue.setting}: ${issue.message}`)
  process.exit(1)
}

/**
 * The line `wrangler dev` prints for each request. The Worker writes its own JSON line per request
 * (with its id, status, user and error), so wrangler's is dropped: each request is logged once.
 */
const WRANGLER_REQUEST_LINE = /^\[wrangler:info\] [A-Z]+ \S+ \d{3}\b/

/** Copies `from` to `to` line by line, leaving out wrangler's request lines. */
function relay(from: Readable, to: NodeJS.WriteStream) {
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => {
    if (!WRANGLER_REQUEST_LINE.test(stripVTControlCharacters(line))) to.write(`${line}\n`)
  })
}

/**
 * Runs `wrangler dev` in a process group of its own (wrangler, its CLI child and workerd) and ends
 * that group whole when this process is told to stop — SIGINT (Ctrl-C), SIGTERM, SIGHUP — or when
 * its parent is gone (npm runs scripts through `sh -c`, which dies of a SIGTERM without passing
 * it on). A group still there 5 s after SIGTERM gets SIGKILL. Exits with wrangler's code, 0 when stopped.
 */
function serve(argv: string[]): void {
  const child: ChildProcess = spawn(process.execPath, [WRANGLER, ...argv], {
    // Own group (POSIX): one kill reaches every process wrangler starts. Its stdin is not the
    // terminal, so wrangler's single-key shortcuts are off; Ctrl-C reaches this process, which stops it.
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: wranglerEnv(),
  })
  relay(child.stdout!, process.stdout)
  relay(child.stderr!, process.stderr)
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (process.platform === 'win32') child.kill(signal)
      else process.kill(-child.pid!, signal)
    } catch {
      // Already gone.
    }
  }
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    killGroup('SIGTERM')
    setTimeout(() => killGroup('SIGKILL'), 5000).unref()
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop)
  const parent = process.ppid
  setInterval(() => process.ppid !== parent && stop(), 500).unref()
  process.on('exit', () => killGroup('SIGKILL'))
  child.on('exit', (code) => {
    killGroup('SIGKILL') // whatever wrangler left behind (workerd)
    process.exit(stopping ? 0 : (code ?? 1))
  })
}

const sqlString = (v: string) => `'${v.replace(/'/g, "''")}'`

/** The idempotent SQL that makes the development admin and service key exist with the configured secrets. */
export async function bootstrapSql(vars: Record<string, string>): Promise<string> {
  const email = vars.DEV_ADMIN_EMAIL.toLowerCase()
  const hash = await hashPassword(vars.DEV_ADMIN_PASSWORD)
  const keyHash = await sha256Hex(vars.DEV_API_KEY)
  return [
    `INSERT INTO users (id, email, name, password_hash, role) VALUES ('dev-admin', ${sqlString(email)}, 'Development Admin', ${sqlString(hash)}, 'admin')`,
    `ON CONFLICT(email) DO UPDATE SET password_hash = excluded.password_hash, role = 'admin';`,
    `INSERT INTO service_clients (id, name, key_hash) VALUES ('dev-service', 'development', ${sqlString(keyHash)})`,
    `ON CONFLICT(id) DO UPDATE SET key_hash = excluded.key_hash, enabled = 1;`,
  ].join(' ')
}

async function main() {
  const vars = ensureDevVars()
  await checkConfiguration()
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', ...persistArgs])
  console.log('dev: local D1 migrated')
  wrangler(['d1', 'execute', 'DB', '--local', ...persistArgs, '--command', await bootstrapSql(vars)])
  console.log(`dev: admin ${vars.DEV_ADMIN_EMAIL} / ${vars.DEV_ADMIN_PASSWORD}`)
  console.log(`dev: service API key ${vars.DEV_API_KEY} (GET /auth/create with header x-api-key)`)
  if (setupOnly) return
  console.log(`dev: serving on http://localhost:${port} (Ctrl-C stops it)`)
  console.log(`dev: open the console at http://localhost:${port}/console/ and sign in as the admin above`)
  console.log(`dev: API reference at http://localhost:${port}/reference/`)
  serve(['dev', ...DEV_CONFIGS, '--port', port, ...persistArgs, ...envFileArgs])
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/scripts\//, '/scripts/'))) {
  main().catch((err) => {
    console.error(`dev: ${err instanceof Error ? err.message : err}`)
    process.exit(1)
  })
}
