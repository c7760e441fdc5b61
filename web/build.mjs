// Builds the browser side served as Workers static assets (wrangler.toml [assets] → web/dist):
// the console, the caller's page, the live-session page (TypeScript bundled by esbuild), the
// landing page, and the API reference (Swagger UI and the AsyncAPI React component, copied from
// their npm packages so nothing is loaded from a CDN). Run by wrangler's [build] (dev, deploy)
// and by vitest.config.mts before the tests; `node web/build.mjs` by hand.
//
// Several builds may run while a server serves web/dist (the e2e tests start `wrangler dev`
// more than once), so a file is only written when its bytes change, through a rename.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const out = join(here, 'dist')

/** Every file under `dir`, relative to it. */
function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  )
}

/** Builds everything into web/dist; answers how many files changed. */
export async function buildWeb() {
  /** @type {Map<string, Uint8Array>} path under dist → bytes */
  const files = new Map()
  const stat = join(here, 'static')
  for (const f of walk(stat)) files.set(f, readFileSync(join(stat, f)))
  const swagger = dirname(require.resolve('swagger-ui-dist/package.json'))
  files.set('reference/vendor/swagger-ui-bundle.js', readFileSync(join(swagger, 'swagger-ui-bundle.js')))
  files.set('reference/vendor/swagger-ui.css', readFileSync(join(swagger, 'swagger-ui.css')))
  const asyncapi = dirname(require.resolve('@asyncapi/react-component/package.json'))
  files.set(
    'reference/vendor/asyncapi-standalone.js',
    readFileSync(join(asyncapi, 'browser', 'standalone', 'index.js')),
  )
  files.set('reference/vendor/asyncapi.css', readFileSync(join(asyncapi, 'styles', 'default.min.css')))
  const result = await build({
    entryPoints: {
      'console/app': join(here, 'src', 'console', 'main.ts'),
      'caller/app': join(here, 'src', 'caller', 'main.ts'),
      'live/app': join(here, 'src', 'live', 'main.ts'),
    },
    outdir: out,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    write: false,
  })
  for (const f of result.outputFiles) files.set(relative(out, f.path), f.contents)

  let changed = 0
  for (const [path, bytes] of files) {
    const target = join(out, path)
    if (existsSync(target) && Buffer.compare(readFileSync(target), Buffer.from(bytes)) === 0) continue
    mkdirSync(dirname(target), { recursive: true })
    const tmp = `${target}.${process.pid}.tmp`
    writeFileSync(tmp, bytes)
    renameSync(tmp, target)
    changed++
  }
  for (const f of walk(out)) if (!files.has(f) && !f.endsWith('.tmp')) rmSync(join(out, f), { force: true })
  return changed
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb()
