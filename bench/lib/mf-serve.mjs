// Serves one bundled Worker from a single workerd instance through Miniflare's API — no
// `wrangler dev` proxy in front. Usage: node mf-serve.mjs '<json {config,script,port,persist,vars,inspectorPort?}>'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'

const opts = JSON.parse(process.argv[2])
// The miniflare that ships with wrangler, so the workerd build matches `wrangler dev`'s.
const require = createRequire(import.meta.resolve('wrangler'))
const { Miniflare, Log, LogLevel } = await import(require.resolve('miniflare'))

const { workerOptions } = unstable_getMiniflareWorkerOptions(opts.config)
const mf = new Miniflare({
  ...workerOptions,
  modules: true,
  scriptPath: opts.script,
  modulesRoot: dirname(opts.script),
  bindings: { ...workerOptions.bindings, ...opts.vars },
  host: '127.0.0.1',
  port: opts.port,
  cf: false,
  defaultPersistRoot: opts.persist ? `${opts.persist}/v3` : undefined,
  log: new Log(LogLevel.WARN),
  ...(opts.inspectorPort ? { inspectorPort: opts.inspectorPort } : {}),
})
const url = await mf.ready
console.log(`mf-serve ready ${url}`)
const stop = async () => {
  await mf.dispose()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
