// The bare floor's object (bench/floor/worker.js) inside Switchboard's Worker: a Worker whose
// entry loads Switchboard's whole Worker (its code, schemas and libraries, evaluated at isolate
// start as in production) and answers every request with the floor's own code, with Switchboard's
// bindings and its pages Worker beside it (subjects.mjs). Its latency beside the bare floor's
// shows what Switchboard's deployment alone costs the same room code: a Durable Object shares its
// isolate, and so its garbage collector, with all of its Worker's code (docs/benchmarks.md, "What
// moves the verdicts"). Written into a temp directory from the checkout under test's
// wrangler.toml, so its bindings and routing stay Switchboard's.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ROOT, SUBJECT_ROOT, tempDir } from './servers.mjs'

/** Writes the Worker and its config; answers the config's path. */
export function floorInSwitchboardConfig() {
  const dir = tempDir('floor-in-sb')
  const sb = path.join(SUBJECT_ROOT, 'src/worker/index.ts')
  const floor = path.join(ROOT, 'bench/floor/worker.js')
  writeFileSync(
    path.join(dir, 'entry.js'),
    [
      `export * from ${JSON.stringify(sb)}`,
      `export { Floor } from ${JSON.stringify(floor)}`,
      `import switchboard from ${JSON.stringify(sb)}`,
      `import floor from ${JSON.stringify(floor)}`,
      `export default { ...switchboard, fetch: floor.fetch }`,
      '',
    ].join('\n'),
  )
  const abs = (rel) => JSON.stringify(path.join(SUBJECT_ROOT, rel))
  // Switchboard's config, its relative paths made absolute (the migrations; and, in a checkout from
  // before the pages had a Worker of their own, the pages' build, its watched sources and files).
  const toml = readFileSync(path.join(SUBJECT_ROOT, 'wrangler.toml'), 'utf8')
    .replace(/^name = .*$/m, 'name = "switchboard-floor-in-isolate"')
    .replace(/^main = .*$/m, 'main = "entry.js"')
    .replace(
      /^command = "node (web\/build\.mjs)"$/m,
      (_, rel) => `command = "node ${path.join(SUBJECT_ROOT, rel)}"`,
    )
    .replace(/^(watch_dir|directory|migrations_dir) = "(.*)"$/gm, (_, key, rel) => `${key} = ${abs(rel)}`)
    .replace(/^(\[durable_objects\]\nbindings = \[\n)/m, '$1  { name = "FLOOR", class_name = "Floor" },\n')
  const shaped = ['"FLOOR"', 'entry.js', 'migrations_dir = "/']
  if (!shaped.every((s) => toml.includes(s)) || /^(watch_dir|directory|migrations_dir) = "[^/]/m.test(toml))
    throw new Error(`floor-in-switchboard: ${SUBJECT_ROOT}/wrangler.toml changed shape; update this rewrite`)
  const config = path.join(dir, 'wrangler.toml')
  writeFileSync(config, `${toml}\n[[migrations]]\ntag = "bench-floor"\nnew_sqlite_classes = ["Floor"]\n`)
  return config
}
