// REST: requests/s at a fixed concurrency for login (PBKDF2-bound by design), token refresh and
// `POST /user/generate` (LiveKit token minting), through `wrangler dev` and in one workerd.
import { webcrypto } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { request } from '../lib/http.mjs'
import { cpuSeconds } from '../lib/proc.mjs'
import { summarize } from '../lib/stats.mjs'
import { registerUser } from '../lib/switchboard.mjs'

/** Runs `once(worker)` from `concurrency` loops for `seconds`; counts statuses and latencies. */
async function load({ concurrency, seconds, once }) {
  const lat = []
  const statuses = {}
  const until = performance.now() + seconds * 1000
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (performance.now() < until) {
        const s = performance.now()
        let status
        try {
          status = await once(w)
        } catch {
          status = 'error'
        }
        lat.push(performance.now() - s)
        statuses[status] = (statuses[status] ?? 0) + 1
      }
    }),
  )
  const elapsed = (performance.now() - t0) / 1000
  const ok = Object.entries(statuses)
    .filter(([k]) => /^2/.test(k))
    .reduce((a, [, v]) => a + v, 0)
  return { rps: ok / elapsed, total: lat.length, ok, statuses, ...summarize(lat) }
}

async function pbkdf2Ms(iterations = 100_000) {
  const key = await webcrypto.subtle.importKey(
    'raw',
    new TextEncoder().encode('bench-password-1'),
    'PBKDF2',
    false,
    ['deriveBits'],
  )
  const t = performance.now()
  await webcrypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations },
    key,
    256,
  )
  return performance.now() - t
}

/**
 * The REST floor on the bare-DO floor Worker in one workerd: a bare answer (`/rest/ok`) and one
 * local D1 round trip (`/rest/d1`, `SELECT 1`) — what any route that touches D1 cannot beat here.
 */
async function restFloor(ctx, P) {
  const out = {}
  let srv
  try {
    srv = await ctx.subjects.get(P.floor)
  } catch (err) {
    ctx.report.note('rest', `floor unavailable: ${String(err.message ?? err).slice(0, 160)}`)
    return out
  }
  const cpu = () => srv.procs().reduce((a, p) => a + (p.comm === 'workerd' ? cpuSeconds(p.pid) : 0), 0)
  for (const [key, path] of [
    ['ok', '/rest/ok'],
    ['d1', '/rest/d1'],
  ]) {
    const cpu0 = cpu()
    const r = await load({
      concurrency: P.concurrency,
      seconds: P.seconds / 2,
      once: async () => (await request(srv.url, 'GET', path)).status,
    })
    const cpuMs = ((cpu() - cpu0) * 1000) / Math.max(1, r.total)
    if (!r.ok) continue
    out[key] = r.rps
    ctx.report.add({
      suite: 'rest',
      name: `rest/floor ${path}/${P.floor}`,
      value: r.rps,
      unit: 'req/s',
      note: `c=${P.concurrency}, p50/p99 ${r.p50.toFixed(1)}/${r.p99.toFixed(1)} ms, workerd CPU ${cpuMs.toFixed(2)} ms/req — ${key === 'ok' ? 'a bare Worker answer' : 'one local D1 round trip (SELECT 1)'}`,
    })
  }
  return out
}

export async function run(ctx) {
  const P = ctx.profile.rest
  const ms = Math.min(await pbkdf2Ms(), await pbkdf2Ms())
  ctx.report.add({
    suite: 'rest',
    name: 'rest/pbkdf2-100k reference (node webcrypto)',
    value: ms,
    unit: 'ms/hash',
    digits: 1,
    note: 'one PBKDF2-SHA256 at 100,000 iterations — the floor of one login on one core',
  })
  const floor = await restFloor(ctx, P)
  for (const server of P.servers) {
    let srv
    try {
      srv = await ctx.subjects.get(server)
    } catch (err) {
      ctx.report.note('rest', `${server} unavailable: ${err.message}`)
      continue
    }
    const cpu = () => srv.procs().reduce((a, p) => a + (p.comm === 'workerd' ? cpuSeconds(p.pid) : 0), 0)
    const user = await registerUser(srv.url, 1, `rest-${server}`)
    const email = user.user.email
    const json = { 'content-type': 'application/json' }

    const cases = {
      login: {
        target: undefined,
        once: async () =>
          (
            await request(srv.url, 'POST', '/api/v1/auth/login', {
              body: { email, password: user.password },
              headers: json,
            })
          ).status,
      },
      refresh: {
        target: 1000,
        setup: async () => {
          const tokens = []
          for (let i = 0; i < P.concurrency; i++) {
            const r = await request(srv.url, 'POST', '/api/v1/auth/login', {
              body: { email, password: user.password },
            })
            tokens.push(r.json?.data?.refresh_token)
          }
          return tokens
        },
        once: async (w, tokens) => {
          const r = await request(srv.url, 'POST', '/api/v1/auth/refresh', {
            body: { refresh_token: tokens[w] },
          })
          if (r.json?.data?.refresh_token) tokens[w] = r.json.data.refresh_token
          return r.status
        },
      },
      generate: {
        target: 2000,
        once: async (w) =>
          (
            await request(srv.url, 'POST', '/user/generate', {
              headers: { authorization: `Bearer ${srv.service}` },
              body: { room: `rest-room-${w % 4}`, userName: `user-${w}`, userType: 'agent' },
            })
          ).status,
      },
    }
    for (const [name, c] of Object.entries(cases)) {
      if (ctx.timeLeft() < P.seconds + 10) {
        ctx.report.note('rest', `${name} on ${server} skipped: time budget`)
        continue
      }
      let state
      try {
        state = c.setup ? await c.setup() : undefined
      } catch (err) {
        ctx.report.note('rest', `${name} on ${server} skipped: setup failed (${err.message})`)
        continue
      }
      const cpu0 = cpu()
      const r = await load({ concurrency: P.concurrency, seconds: P.seconds, once: (w) => c.once(w, state) })
      const cpuMs = ((cpu() - cpu0) * 1000) / Math.max(1, r.total)
      const bad = Object.entries(r.statuses).filter(([k]) => !/^2/.test(k))
      if (r.ok === 0) {
        ctx.report.note('rest', `${name} on ${server}: no successful request (${JSON.stringify(r.statuses)})`)
        continue
      }
      ctx.report.add({
        suite: 'rest',
        name: `rest/${name}/${server}`,
        value: r.rps,
        unit: 'req/s',
        vs: {
          ...(c.target ? { target: c.target } : {}),
          ...(name !== 'login' && floor.d1 ? { 'floor /rest/d1': floor.d1 } : {}),
        },
        note: `c=${P.concurrency}, p50/p99 ${r.p50.toFixed(1)}/${r.p99.toFixed(1)} ms, workerd CPU ${cpuMs.toFixed(2)} ms/req (CPU-bound ceiling on 2 free cores ≈ ${(2000 / cpuMs).toFixed(0)} req/s)${bad.length ? `, non-2xx ${JSON.stringify(Object.fromEntries(bad))}` : ''}`,
      })
    }
  }
}
