// Serves one bundled Worker from a single workerd instance through Miniflare's API — no
// `wrangler dev` proxy in front —, with the assets-only Workers its service bindings name beside it
// (`pages`: their wrangler.toml files, e.g. Switchboard's web/wrangler.toml).
// Usage: node mf-serve.mjs '<json {config,script,port,persist,vars,inspectorPort?,pages?}>'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler'
import { pagesWorkerOptions } from '../../web/miniflare.mjs'

const opts = JSON.parse(process.argv[2])
// The miniflare that ships with wrangler, so the workerd build matches `wrangler dev`'s.
const require = createRequire(import.meta.resolve('wrangler'))
const { Miniflare, Log, LogLevel } = await import(require.resolve('miniflare'))

const { workerOptions } = unstable_getMiniflareWorkerOptions(opts.config)
const main = {
  ...workerOptions,
  name: unstable_readConfig({ config: opts.config }).name,
  modules: true,
  scriptPath: opts.script,
  modulesRoot: dirname(opts.script),
  bindings: { ...workerOptions.bindings, ...opts.vars },
}
const mf = new Miniflare({
  workers: [main, ...(opts.pages ?? []).map((config) => pagesWorkerOptions(config))],
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
