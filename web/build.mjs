// Builds the browser side served as Workers static assets (wrangler.toml [assets] → web/dist):
// the console, the caller's page, the live-session page (TypeScript bundled by esbuild), the
// landing page, and the API reference (Swagger UI and the AsyncAPI React component, copied from
// their npm packages so nothing is loaded from a CDN). Run by wrangler's [build] (dev, deploy)
// and by vitest.config.mts before the tests; `node web/build.mjs` by hand.
import { cpSync, mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const out = join(here, 'dist')

/** Builds everything into web/dist (replacing what was there). */
export async function buildWeb() {
  rmSync(out, { recursive: true, force: true })
  cpSync(join(here, 'static'), out, { recursive: true })
  const vendor = join(out, 'reference', 'vendor')
  mkdirSync(vendor, { recursive: true })
  const swagger = dirname(require.resolve('swagger-ui-dist/package.json'))
  cpSync(join(swagger, 'swagger-ui-bundle.js'), join(vendor, 'swagger-ui-bundle.js'))
  cpSync(join(swagger, 'swagger-ui.css'), join(vendor, 'swagger-ui.css'))
  const asyncapi = dirname(require.resolve('@asyncapi/react-component/package.json'))
  cpSync(join(asyncapi, 'browser', 'standalone', 'index.js'), join(vendor, 'asyncapi-standalone.js'))
  cpSync(join(asyncapi, 'styles', 'default.min.css'), join(vendor, 'asyncapi.css'))
  await build({
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
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb()
