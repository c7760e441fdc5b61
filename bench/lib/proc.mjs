// Process plumbing for the bench: spawn servers in their own process group, wait for them,
// kill them hard, and read the RSS of a process tree from /proc.
import { spawn } from 'node:child_process'
import { createWriteStream, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'

/** Environment for every wrangler/miniflare child: no network lookups, no telemetry. */
export const quietEnv = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  NO_UPDATE_NOTIFIER: '1',
  FORCE_COLOR: '0',
}

/** Spawns `cmd args` detached (own process group) with output appended to `logFile`. */
export function spawnGroup(cmd, args, { cwd, env = quietEnv, logFile } = {}) {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const log = logFile ? createWriteStream(logFile, { flags: 'w' }) : null
  child.output = ''
  const onData = (d) => {
    log?.write(d)
    if (child.output.length < 200_000) child.output += d
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  child.on('exit', () => log?.end())
  return child
}

/** SIGKILLs (or `signal`s) the whole process group of `child` and waits for the leader to exit. */
export async function killGroup(child, signal = 'SIGKILL') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const descendants = treePids(child.pid)
  try {
    process.kill(-child.pid, signal)
  } catch {
    /* already gone */
  }
  await Promise.race([child.exited, sleep(5000)])
  // workerd children sometimes start their own group; make sure nothing of ours survives.
  for (const pid of descendants) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Throws when something still listens on 127.0.0.1:`port` after `waitMs` (e.g. a server left by an
 * earlier run; a server just killed releases its port within that time).
 */
export async function assertPortFree(port, waitMs = 5000) {
  const until = Date.now() + waitMs
  for (;;) {
    const busy = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => (socket.destroy(), resolve(true)))
      socket.once('error', () => resolve(false))
    })
    if (!busy) return
    if (Date.now() > until)
      throw new Error(`port ${port} is already in use (a server left running by an earlier run?)`)
    await sleep(200)
  }
}

/** Resolves when `url` answers any HTTP status, or throws after `timeoutMs`. */
export async function waitHttp(url, timeoutMs = 60_000, child) {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child && child.exitCode !== null)
      throw new Error(`server exited early:\n${child.output.slice(-2000)}`)
    const ok = await new Promise((resolve) => {
      const req = http.get(url, (res) => {
        res.resume()
        resolve(true)
      })
      req.on('error', () => resolve(false))
      req.setTimeout(2000, () => req.destroy())
    })
    if (ok) return
    await sleep(200)
  }
  throw new Error(`timed out waiting for ${url}${child ? `:\n${child.output.slice(-2000)}` : ''}`)
}

function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = s.lastIndexOf(')')
    const comm = s.slice(s.indexOf('(') + 1, close)
    const rest = s.slice(close + 2).split(' ')
    return { pid, comm, ppid: Number(rest[1]) }
  } catch {
    return null
  }
}

/** `pid` and all its descendants. */
export function treePids(pid) {
  const all = []
  for (const d of readdirSync('/proc')) if (/^\d+$/.test(d)) all.push(procStat(Number(d)))
  const out = [pid]
  for (let i = 0; i < out.length; i++) for (const p of all) if (p && p.ppid === out[i]) out.push(p.pid)
  return out
}

/** RSS (KiB) of one process, 0 if gone. */
export function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

/** CPU time (user+sys, seconds) of one process. */
export function cpuSeconds(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[11]) + Number(rest[12])) / 100
  } catch {
    return 0
  }
}

/** The processes of a tree with their names and RSS, e.g. to tell wrangler's proxy workerd from the user one. */
export function treeProcs(pid) {
  return treePids(pid)
    .map((p) => {
      const st = procStat(p)
      let cmd = ''
      try {
        cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')
      } catch {
        /* gone */
      }
      return st && { pid: p, comm: st.comm, cmd, rssKiB: rssKiB(p), cpu: cpuSeconds(p) }
    })
    .filter(Boolean)
}

/** The listening TCP ports (127.0.0.1) of a process, from /proc/net/tcp and its fds. */
export function listeningPorts(pid) {
  const inodes = new Set()
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (m) inodes.add(m[1])
      } catch {
        /* raced */
      }
    }
  } catch {
    return []
  }
  const ports = []
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16))
  }
  return ports
}

/**
 * Waits (up to `maxMs`) until the processes `procs()` returns — and this process too, with
 * `self` — use less than `share` of one core over a window of `everyMs` (250 ms): e.g. after a run's sockets
 * close, so the server's leave handling does not land in the next measurement.
 */
export async function waitQuiet(procs, { maxMs = 5000, share = 0.1, self = false, everyMs = 250 } = {}) {
  const own = () => {
    const u = process.cpuUsage()
    return self ? (u.user + u.system) / 1e6 : 0
  }
  const cpu = () => procs().reduce((a, p) => a + p.cpu, 0) + own()
  const until = Date.now() + maxMs
  let last = cpu()
  while (Date.now() < until) {
    await sleep(everyMs)
    const now = cpu()
    if (now - last < (everyMs / 1000) * share) return
    last = now
  }
}
