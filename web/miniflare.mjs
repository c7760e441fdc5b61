// The pages Worker (web/wrangler.toml: static assets only) as Miniflare worker options, as
// `wrangler dev -c web/wrangler.toml` runs it: for the test pool (vitest.config.mts), where it is
// an auxiliary worker beside Switchboard's, and the bench's single-workerd servers
// (bench/lib/mf-serve.mjs). Switchboard's Worker reaches it through its ASSETS service binding,
// which names it.
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler'

/** `config`: an assets-only Worker's wrangler.toml (default: this directory's). */
export function pagesWorkerOptions(config = new URL('./wrangler.toml', import.meta.url).pathname) {
  const { name, main } = unstable_readConfig({ config })
  if (main) throw new Error(`${config}: a Worker with code (main = ${main}), not static assets only`)
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config)
  return {
    name,
    compatibilityDate: workerOptions.compatibilityDate,
    assets: workerOptions.assets,
    // An assets-only Worker has no code of its own: its assets router never calls this one.
    modules: true,
    script: 'export default {}',
  }
}
