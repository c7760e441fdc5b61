// The servers a bench run talks to, started on first use (or ahead of use, one after another in the
// background: `prestart`) and stopped at the end; each is started once and reused by every suite.
// Ports 8830–8849, or BENCH_PORT_BASE … +19 (two runs on one machine need different bases).
import { cpSync } from 'node:fs'
import path from 'node:path'
import { startFakeLiveKit } from './fake-livekit.mjs'
import { floorInSwitchboardConfig } from './floor-in-switchboard.mjs'
import {
  RESULTS,
  bundle,
  startNodeSio,
  startMiniflare,
  startWranglerDev,
  tempDir,
  ROOT,
  SUBJECT_ROOT,
} from './servers.mjs'
import * as sb from './switchboard.mjs'

const BASE = Number(process.env.BENCH_PORT_BASE ?? 8830)
export const PORTS = {
  nodeSio: BASE + 2,
  floorWd: BASE + 3, // + inspector BASE + 4
  floorMf: BASE + 5,
  sbWd: BASE + 6, // + inspector BASE + 7
  sbMf: BASE + 8, // + inspector BASE + 12
  sbMfInspector: BASE + 12,
  peerWd: BASE + 9, // + inspector BASE + 10
  peerMf: BASE + 11,
  sbMfShards: BASE + 16,
  floorInSbWd: BASE + 17, // + inspector BASE + 18
  floorInSbMf: BASE + 1,
  liveKit: BASE + 19,
}
/**
 * Whether WebSockets accept permessage-deflate, on every server the bench starts (Switchboard's
 * `WS_COMPRESSION`; the floor and the peer's `contract~` rooms read the same variable): off, as
 * Switchboard ships, unless `BENCH_WS_COMPRESSION=1`. PartyServer's own rooms always accept it,
 * as PartyServer ships. The clients offer it either way, as browsers do.
 */
export const WS_VARS = { WS_COMPRESSION: process.env.BENCH_WS_COMPRESSION ? 'true' : 'false' }
const FLOOR_CONFIG = path.join(ROOT, 'bench/floor/wrangler.toml')
const PEER_CONFIG = path.join(ROOT, 'bench/peer/wrangler.toml')

/** `shardLimit`: MAX_CONNECTIONS_PER_ROOM of the `sb-mf-shards` server (the per-shard limit). */
export function createSubjects({ shardLimit = 5000 } = {}) {
  const running = new Map()
  const bundles = new Map()
  let liveKit
  let closed = false
  let template

  const bundled = async (config) => {
    if (!bundles.has(config)) bundles.set(config, bundle(config))
    return bundles.get(config)
  }
  const log = (name) => path.join(RESULTS, `server-${name}.log`)
  let floorInSb
  const floorInSbConfig = () => (floorInSb ??= floorInSwitchboardConfig())

  /** Switchboard's migrated and seeded state, made once; each server starts on a copy of it. */
  const sbTemplate = () =>
    (template ??= (async () => {
      const dir = tempDir('sb-template')
      await sb.prepareState(dir)
      return dir
    })())

  /**
   * A bench Worker other than Switchboard in both run modes, each with fresh state: `<name>-wd`
   * through `wrangler dev` on `ports.wd`, `<name>-mf` in one workerd on `ports.mf`. `config`: its
   * wrangler.toml, or a function answering it (a config written on first use). `sbState`: the
   * state starts as a copy of Switchboard's migrated one (its D1 binding has Switchboard's id).
   */
  const bothModes = (name, config, ports, { sbState = false, ...options } = {}) => {
    const configOf = typeof config === 'function' ? config : () => config
    const common = async (mode) => {
      const persist = tempDir(name)
      if (sbState) cpSync(await sbTemplate(), persist, { recursive: true })
      return { config: configOf(), persist, logFile: log(`${name}-${mode}`), ...options }
    }
    return {
      [`${name}-wd`]: async () => startWranglerDev({ ...(await common('wd')), port: ports.wd }),
      [`${name}-mf`]: async () =>
        startMiniflare({ ...(await common('mf')), script: await bundled(configOf()), port: ports.mf }),
    }
  }

  const starters = {
    'node-sio': () => startNodeSio(PORTS.nodeSio, log('node-sio')),
    // Both floors start on Switchboard's migrated state: their `/rest/refresh` and `/rest/generate`
    // (bench/floor/rest-calls.js) use Switchboard's tables.
    ...bothModes(
      'floor',
      FLOOR_CONFIG,
      { wd: PORTS.floorWd, mf: PORTS.floorMf },
      { vars: WS_VARS, sbState: true },
    ),
    // The JSON chat protocol's peer: PartyServer's chat example (bench/peer/), both run modes.
    ...bothModes('peer', PEER_CONFIG, { wd: PORTS.peerWd, mf: PORTS.peerMf }, { vars: WS_VARS }),
    // The floor's object in Switchboard's isolate (bench/lib/floor-in-switchboard.mjs), both run
    // modes, with Switchboard's pages Worker beside it (its build runs from the checkout's root).
    ...bothModes(
      'floor-in-sb',
      floorInSbConfig,
      { wd: PORTS.floorInSbWd, mf: PORTS.floorInSbMf },
      { vars: WS_VARS, readyPath: '/rest/ok', pages: sb.PAGES, cwd: SUBJECT_ROOT },
    ),
    'sb-wd': (prior) => startSb('wrangler', PORTS.sbWd, prior),
    'sb-mf': (prior) => startSb('miniflare', PORTS.sbMf, prior),
    // One workerd whose rooms spread over shards of `shardLimit` sockets (bench/suites/shards.mjs).
    'sb-mf-shards': (prior) =>
      startSb('miniflare', PORTS.sbMfShards, prior, {
        inspector: false,
        vars: { MAX_CONNECTIONS_PER_ROOM: String(shardLimit) },
      }),
  }

  /** The stand-in LiveKit API, started once (the promise is kept, so servers starting together share it). */
  function fakeLiveKit() {
    liveKit ??= startFakeLiveKit(PORTS.liveKit)
    return liveKit
  }

  /**
   * A fresh Switchboard with its own state, a registered member and a service token — or, given
   * the `prior` server of that name (killed), the same one restarted on its state.
   */
  async function startSb(mode, port, prior, { inspector = true, vars = {} } = {}) {
    const lk = await fakeLiveKit()
    const persist = prior?.persist ?? tempDir(`sb-${mode}`)
    // Migrate + seed once, then copy: each server still gets its own fresh state.
    if (!prior) cpSync(await sbTemplate(), persist, { recursive: true })
    const script = mode === 'miniflare' ? await bundled(sb.CONFIG) : undefined
    const srv = await sb.startSwitchboard({
      mode,
      port,
      persist,
      script,
      inspectorPort: mode === 'miniflare' && inspector ? PORTS.sbMfInspector : undefined,
      vars: { ...sb.benchVars(lk.url), ...WS_VARS, ...vars },
      logFile: log(`sb-${mode}-${port}`),
    })
    srv.persist = persist
    srv.member = prior?.member ?? (await sb.registerUser(srv.url, 0, mode))
    srv.service = prior?.service ?? (await sb.serviceToken(srv.url))
    return srv
  }

  return {
    fakeLiveKit,
    /**
     * Starts `names` one after another in the background (a failure is left for `get` to retry
     * and report), so later suites find their servers up.
     */
    prestart(names) {
      let chain = Promise.resolve()
      for (const name of names) chain = chain.then(() => (closed ? null : this.get(name).catch(() => null)))
      return chain
    },
    /** Restarts the Switchboard server `name` (after a kill) on the same port, state, member and tokens. */
    async restart(name) {
      const prior = await running.get(name)
      await prior?.stop()
      const p = starters[name](prior)
      running.set(name, p)
      p.catch(() => running.delete(name))
      return p
    },
    /** The running server `name`, starting it if needed. */
    async get(name) {
      if (closed) throw new Error('bench is stopping')
      if (!running.has(name)) {
        const p = starters[name]()
        running.set(name, p)
        p.catch(() => running.delete(name))
      }
      return running.get(name)
    },
    async stop(name) {
      const p = running.get(name)
      running.delete(name)
      if (p) await (await p.catch(() => null))?.stop()
    },
    async stopAll() {
      closed = true
      for (const name of [...running.keys()]) await this.stop(name)
      ;(await liveKit)?.close()
    },
  }
}
