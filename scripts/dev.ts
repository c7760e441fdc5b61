/**
 * `npm run dev`: everything a newcomer needs to run Switchboard locally, with nothing configured.
 *   1. writes `.dev.vars` with development settings and a fresh JWT secret if it is missing;
 *   2. applies the D1 migrations to the local database;
 *   3. ensures the development admin account and service API key exist (SPEC §3 bootstrap);
 *   4. prints them and serves the Worker with `wrangler dev` (which builds the browser pages, web/).
 * Flags: `--port <n>` (default 8787, or $PORT), `--persist-to <dir>` (local state directory),
 * `--vars-file <path>` (instead of `.dev.vars`), `--setup-only` (stop after step 3).
 * Production never runs this.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
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

function wrangler(argv: string[]): string {
  const r = spawnSync('npx', ['wrangler', ...argv], { encoding: 'utf8', env: { ...process.env, CI: '1' } })
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr)
    throw new Error(`wrangler ${argv.slice(0, 3).join(' ')} failed`)
  }
  return r.stdout
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
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', ...persistArgs])
  console.log('dev: local D1 migrated')
  wrangler(['d1', 'execute', 'DB', '--local', ...persistArgs, '--command', await bootstrapSql(vars)])
  console.log(`dev: admin ${vars.DEV_ADMIN_EMAIL} / ${vars.DEV_ADMIN_PASSWORD}`)
  console.log(`dev: service API key ${vars.DEV_API_KEY} (GET /auth/create with header x-api-key)`)
  if (setupOnly) return
  console.log(`dev: serving on http://localhost:${port}`)
  console.log(`dev: open the console at http://localhost:${port}/console/ and sign in as the admin above`)
  console.log(`dev: API reference at http://localhost:${port}/reference/`)
  const child = spawn('npx', ['wrangler', 'dev', '--port', port, ...persistArgs, ...envFileArgs], {
    stdio: 'inherit',
  })
  const stop = () => child.kill('SIGINT')
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  child.on('exit', (code) => process.exit(code ?? 0))
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/scripts\//, '/scripts/'))) {
  main().catch((err) => {
    console.error(`dev: ${err instanceof Error ? err.message : err}`)
    process.exit(1)
  })
}
