// REST: requests/s at a fixed concurrency for login (PBKDF2-bound by design), token refresh and
// `POST /user/generate` (LiveKit token minting), through `wrangler dev` and in one workerd, each
// held against the D1 floor (one D1 round trip: the bare floor Worker) served the same way in the
// same run, and against its own floor: the call's unavoidable work in that Worker without a
// framework (when even that misses a D1-floor target, the target is out of reach here). The floors
// and the calls are measured in turns (short slices, `rounds` times), so a load change on a shared
// machine falls on all alike.
import { webcrypto } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { request } from '../lib/http.mjs'
import { cpuSeconds } from '../lib/proc.mjs'
import { summarize } from '../lib/stats.mjs'
import { registerUser } from '../lib/switchboard.mjs'

/** Runs `once(worker)` from `concurrency` loops for `seconds`; counts statuses and latencies. */
async function load({ concurrency, seconds, once }) {
  const t0 = performance.now()
  const lat = []
  const statuses = {}
  const until = t0 + seconds * 1000
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
  return { elapsed, ok, total: lat.length, statuses, lat }
}

/** Adds one slice's counts to a running total (`into`), with the server's workerd CPU seconds it took. */
function addSlice(into, r, cpuSeconds) {
  into.elapsed = (into.elapsed ?? 0) + r.elapsed
  into.ok = (into.ok ?? 0) + r.ok
  into.total = (into.total ?? 0) + r.total
  into.cpu = (into.cpu ?? 0) + cpuSeconds
  into.lat = [...(into.lat ?? []), ...r.lat]
  for (const [k, v] of Object.entries(r.statuses)) (into.statuses ??= {})[k] = (into.statuses[k] ?? 0) + v
  return into
}

/** Requests/s, percentiles and CPU per request of a total built by `addSlice`. */
function figures(t) {
  return {
    rps: t.ok / Math.max(1e-9, t.elapsed),
    cpuMs: (t.cpu * 1000) / Math.max(1, t.total),
    bad: Object.entries(t.statuses ?? {}).filter(([k]) => !/^2/.test(k)),
    ...summarize(t.lat ?? []),
  }
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

/** workerd CPU seconds of a server so far (all its workerd processes). */
const workerdCpu = (srv) =>
  srv.procs().reduce((a, p) => a + (p.comm === 'workerd' ? cpuSeconds(p.pid) : 0), 0)

/** What each call is held to: its share of the D1 floor, and the D1 round trips it makes (and why). */
const AGAINST_FLOOR = {
  refresh: {
    target: 0.8,
    roundTrips: 1,
    why: 'one D1 batch of two statements: the successor inserted only while the token is valid, then the token marked used only if that insert happened, returned with its user',
    floor: 'the body read, two SHA-256, the exchange batch, one HS256 signature, the envelope',
  },
  generate: {
    target: 0.8,
    roundTrips: 1,
    why: 'one D1 batch into an existing room (the 4 rooms exist after the first calls): the room row, and the participant inserted only if the room is open; a new room takes 4',
    floor: 'the bearer looked up, the body read, the join batch, one HS256 LiveKit token, the envelope',
  },
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
  for (const [server, floorName] of Object.entries(P.floor)) {
    let floor
    try {
      floor = { name: floorName, srv: await ctx.subjects.get(floorName) }
    } catch (err) {
      ctx.report.note('rest', `floor ${floorName} unavailable: ${String(err.message ?? err).slice(0, 160)}`)
    }
    let srv
    try {
      srv = await ctx.subjects.get(server)
    } catch (err) {
      ctx.report.note('rest', `${server} unavailable: ${err.message}`)
      continue
    }
    const user = await registerUser(srv.url, 1, `rest-${server}`)
    const email = user.user.email
    const tokens = []
    for (let i = 0; i < P.concurrency; i++) {
      const r = await request(srv.url, 'POST', '/api/v1/auth/login', {
        body: { email, password: user.password },
      })
      tokens.push(r.json?.data?.refresh_token)
    }

    // The calls' own floors (bench/floor/rest-calls.js), in the floor Worker: one token chain per
    // worker for refresh, as for Switchboard's.
    const floorTokens = []
    if (floor)
      for (let i = 0; i < P.concurrency; i++) {
        const r = await request(floor.srv.url, 'POST', '/rest/refresh-login', { body: {} })
        floorTokens.push(r.json?.data?.refresh_token)
      }

    // Measured in turns: the floor's `/rest/d1` and each call for one slice, `rounds` times.
    const okStatus = async (srv, path) => {
      const r = await request(srv.url, 'GET', path)
      return r.json?.ok === true ? r.status : 'not ok'
    }
    const turns = [
      // The D1 floor, and each call's unavoidable work without a framework: the bound of the call's targets.
      ...(floor
        ? [
            { key: 'floor', srv: floor.srv, once: () => okStatus(floor.srv, '/rest/d1') },
            {
              key: 'refresh floor',
              srv: floor.srv,
              once: async (w) => {
                const r = await request(floor.srv.url, 'POST', '/rest/refresh', {
                  body: { refresh_token: floorTokens[w] },
                })
                if (r.json?.data?.refresh_token) floorTokens[w] = r.json.data.refresh_token
                return r.status
              },
            },
            {
              key: 'generate floor',
              srv: floor.srv,
              once: async (w) =>
                (
                  await request(floor.srv.url, 'POST', '/rest/generate', {
                    headers: { authorization: 'Bearer floor' },
                    body: { room: `rest-room-${w % 4}`, userName: `user-${w}`, userType: 'agent' },
                  })
                ).status,
            },
          ]
        : []),
      {
        key: 'refresh',
        srv,
        once: async (w) => {
          const r = await request(srv.url, 'POST', '/api/v1/auth/refresh', {
            body: { refresh_token: tokens[w] },
          })
          if (r.json?.data?.refresh_token) tokens[w] = r.json.data.refresh_token
          return r.status
        },
      },
      {
        key: 'generate',
        srv,
        once: async (w) =>
          (
            await request(srv.url, 'POST', '/user/generate', {
              headers: { authorization: `Bearer ${srv.service}` },
              body: { room: `rest-room-${w % 4}`, userName: `user-${w}`, userType: 'agent' },
            })
          ).status,
      },
    ]
    const totals = {}
    for (let round = 0; round < P.rounds; round++) {
      if (ctx.timeLeft() < turns.length * P.slice + 5) {
        ctx.report.note('rest', `${server}: stopped after ${round} of ${P.rounds} rounds (time budget)`)
        break
      }
      for (const t of turns) {
        const cpu0 = workerdCpu(t.srv)
        const r = await load({ concurrency: P.concurrency, seconds: P.slice, once: t.once })
        addSlice((totals[t.key] ??= {}), r, workerdCpu(t.srv) - cpu0)
      }
    }
    // The D1 floor's figure names it `floor /rest/d1/<server>` in every ratio.
    const d1 = floor && `floor /rest/d1/${floor.name}`
    let floorRps
    if (totals.floor?.ok) {
      const x = figures(totals.floor)
      floorRps = x.rps
      ctx.report.add({
        suite: 'rest',
        name: `rest/${d1}`,
        value: x.rps,
        unit: 'req/s',
        vs: {},
        note: `c=${P.concurrency}, p50/p99 ${x.p50.toFixed(1)}/${x.p99.toFixed(1)} ms, workerd CPU ${x.cpuMs.toFixed(2)} ms/req — one local D1 round trip (SELECT 1)`,
      })
    }
    const callFloorRps = {}
    for (const name of ['refresh', 'generate']) {
      const t = totals[`${name} floor`]
      if (!t?.ok) continue
      const x = figures(t)
      callFloorRps[name] = x.rps
      ctx.report.add({
        suite: 'rest',
        name: `rest/floor /rest/${name}/${floor.name}`,
        value: x.rps,
        unit: 'req/s',
        vs: floorRps ? { [d1]: floorRps } : {},
        note: `c=${P.concurrency}, p50/p99 ${x.p50.toFixed(1)}/${x.p99.toFixed(1)} ms, workerd CPU ${x.cpuMs.toFixed(2)} ms/req${x.bad.length ? `, non-2xx ${JSON.stringify(Object.fromEntries(x.bad))}` : ''} — ${name}'s unavoidable work in a bare Worker on Switchboard's tables (bench/floor/rest-calls.js: ${AGAINST_FLOOR[name].floor}); the bound of ${name}'s targets`,
      })
    }
    for (const name of ['refresh', 'generate']) {
      const t = totals[name]
      if (!t?.ok) {
        ctx.report.note(
          'rest',
          `${name} on ${server}: no successful request (${JSON.stringify(t?.statuses ?? {})})`,
        )
        continue
      }
      const x = figures(t)
      const held = AGAINST_FLOOR[name]
      const bare = floorRps ? d1 : undefined
      // A call is bound by its own floor when that ran: the D1 floor's target is out of reach
      // when the call without a framework misses it itself.
      const ownRps = callFloorRps[name]
      const own = ownRps ? `floor /rest/${name}/${floor.name}` : undefined
      const label = `${name}/${server} req/s`
      const bound = own && bare ? { ref: own, ratio: ownRps / floorRps } : undefined
      ctx.report.add({
        suite: 'rest',
        name: `rest/${name}/${server}`,
        value: x.rps,
        unit: 'req/s',
        vs: {
          ...(bare ? { [bare]: floorRps } : {}),
          ...(own ? { [own]: ownRps } : {}),
        },
        // The verdicts (issue 15 item 5): ≥ 0.8× the D1 floor served the same way, same run; and
        // ≥ 0.8× the call's own floor (what the framework costs it).
        target: [
          ...(bare ? [{ ref: bare, atLeast: held.target, label, bound }] : []),
          ...(own ? [{ ref: own, atLeast: held.target, label }] : []),
        ],
        note: `c=${P.concurrency}, p50/p99 ${x.p50.toFixed(1)}/${x.p99.toFixed(1)} ms, workerd CPU ${x.cpuMs.toFixed(2)} ms/req${x.bad.length ? `, non-2xx ${JSON.stringify(Object.fromEntries(x.bad))}` : ''}; ${held.roundTrips} D1 round trip${held.roundTrips === 1 ? '' : 's'} per call: ${held.why} (pinned by test/worker/rest-round-trips.test.ts)`,
      })
      if (!bare) ctx.report.note('rest', `${name} on ${server}: no verdict, the D1 floor did not run`)
    }

    // Login last: PBKDF2-bound by design, no floor to hold it to.
    if (ctx.timeLeft() < P.loginSeconds + 5) {
      ctx.report.note('rest', `login on ${server} skipped: time budget`)
      continue
    }
    const cpu0 = workerdCpu(srv)
    const r = await load({
      concurrency: P.concurrency,
      seconds: P.loginSeconds,
      once: async () =>
        (await request(srv.url, 'POST', '/api/v1/auth/login', { body: { email, password: user.password } }))
          .status,
    })
    const x = figures(addSlice({}, r, workerdCpu(srv) - cpu0))
    if (r.ok)
      ctx.report.add({
        suite: 'rest',
        name: `rest/login/${server}`,
        value: x.rps,
        unit: 'req/s',
        note: `c=${P.concurrency}, p50/p99 ${x.p50.toFixed(1)}/${x.p99.toFixed(1)} ms, workerd CPU ${x.cpuMs.toFixed(2)} ms/req (PBKDF2)${x.bad.length ? `, non-2xx ${JSON.stringify(Object.fromEntries(x.bad))}` : ''}`,
      })
    else ctx.report.note('rest', `login on ${server}: no successful request (${JSON.stringify(r.statuses)})`)
  }
}
