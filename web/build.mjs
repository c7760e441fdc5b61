// Builds the browser side served as Workers static assets (wrangler.toml [assets] → web/dist):
// the console, the caller's page, the live-session page (TypeScript bundled by esbuild), the
// landing page, the API reference (Swagger UI and the AsyncAPI React component, copied from
// their npm packages so nothing is loaded from a CDN), and the Socket.IO admin UI (the build
// @socket.io/admin-ui ships, with its icon font from @mdi/font instead of a CDN). Run by wrangler's [build] (dev, deploy)
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
  for (const [path, bytes] of adminUi()) files.set(path, bytes)
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

/**
 * The admin UI at /admin-ui/: @socket.io/admin-ui's own build (ui/dist, without source maps).
 * Its page loads Roboto and the Material Design icon font from CDNs: the icons come from @mdi/font
 * here, Roboto is left out (the system font stands in), and a small script makes this server the
 * UI's default server URL (`defaults.js`).
 * @returns {Map<string, Uint8Array>}
 */
function adminUi() {
  const files = new Map()
  const dist = join(dirname(require.resolve('@socket.io/admin-ui/package.json')), 'ui', 'dist')
  for (const f of walk(dist))
    if (!f.endsWith('.map')) files.set(join('admin-ui', f), readFileSync(join(dist, f)))
  const mdi = dirname(require.resolve('@mdi/font/package.json'))
  files.set(
    'admin-ui/mdi/css/materialdesignicons.min.css',
    readFileSync(join(mdi, 'css', 'materialdesignicons.min.css')),
  )
  for (const f of walk(join(mdi, 'fonts')))
    files.set(join('admin-ui/mdi/fonts', f), readFileSync(join(mdi, 'fonts', f)))
  const index = readFileSync(join(dist, 'index.html'), 'utf8')
  const page = index
    .replace(/<link rel="?stylesheet"? href="?https:\/\/fonts\.googleapis\.com[^>]*>/, '')
    .replace(/https:\/\/cdn\.jsdelivr\.net\/npm\/@mdi\/font@[^/]+\/css\//, 'mdi/css/')
    .replace('<script', '<script src="defaults.js"></script><script')
  if (page.includes('https://')) throw new Error('admin-ui/index.html still loads something from a CDN')
  files.set('admin-ui/index.html', Buffer.from(page))
  files.set(
    'admin-ui/defaults.js',
    Buffer.from(
      "// This server is the admin UI's default server URL (@socket.io/admin-ui reads it from localStorage).\n" +
        "if (!localStorage.getItem('server_url')) localStorage.setItem('server_url', location.origin)\n",
    ),
  )
  return files
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb()
