// Fuzz: malformed bodies, and one valid body sampled from the route's schema (so handlers run, not
// only validators), against every HTTP route in /openapi.json (with no, member, service and
// garbage credentials; every route × credential first, then the whole cross product as time allows), malformed Engine.IO/Socket.IO frames and handshakes, malformed JSON-protocol
// frames. Pass = no 5xx, no `internal_error` frame, the server process alive, and the room
// still delivering afterwards.
import { randomBytes } from 'node:crypto'
import { jsonWsAdapter, openWs } from '../lib/clients.mjs'
import { openNamespace } from '../lib/eio.mjs'
import { fanout } from '../lib/fanout.mjs'
import { call, request } from '../lib/http.mjs'
import { sleep } from '../lib/proc.mjs'
import { prepareTarget } from '../lib/targets.mjs'
import { operations, sampleRequest } from '../lib/openapi-sample.mjs'

const BODIES = [
  { raw: '' },
  { raw: '{' },
  { raw: 'null' },
  { raw: '[]' },
  { raw: '"x"' },
  { raw: '{"a":' + '['.repeat(2000) },
  { body: {} },
  { body: { email: 1, password: [], name: null, room: {}, content: 123, type: 'nope', id: '../../etc' } },
  { body: { content: 'x'.repeat(70_000), name: '\u0000\uffff\ud800', message: { $gt: 1 } } },
  { raw: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { raw: randomBytes(512).toString('binary'), headers: { 'content-type': 'application/octet-stream' } },
  { raw: '{"x":1}', headers: { 'content-type': 'text/plain' } },
]
const PARAM_VALUES = ['x', '0', '-1', '%00', 'a'.repeat(300), "'or'1'='1"]

export async function run(ctx) {
  const P = ctx.profile.fuzz
  const srv = await ctx.subjects.get('sb-wd')
  const failures = []
  let requests = 0
  const five = (what, status, text) => failures.push(`${what} → ${status} ${String(text).slice(0, 120)}`)

  // 1. HTTP: every documented route × bodies × credentials.
  const doc = (await request(srv.url, 'GET', '/openapi.json')).json
  const routes = operations(doc ?? {}).map((o) => [o.method, o.path, sampleRequest(doc, o).body])
  const auths = [
    {},
    { authorization: `Bearer ${srv.member.access_token}` },
    { authorization: `Bearer ${srv.service}` },
    { authorization: 'Bearer x.y.z' },
  ]
  // Every route × every credential once first (bodies rotating, plus the valid one), then the rest of the cross
  // product (every body), `concurrency` requests at a time, until done or the time bound.
  const rounds = [[], []]
  for (const [r, [method, p, valid]] of routes.entries())
    for (const [k, auth] of auths.entries()) {
      const value = PARAM_VALUES[(r + k) % PARAM_VALUES.length]
      const path = p
        .replace(/\{[^}]+\}/g, encodeURIComponent(value))
        .replace(/:[A-Za-z_]+/g, encodeURIComponent(value))
      const bodies =
        method === 'GET' || method === 'DELETE'
          ? [{}]
          : [...BODIES, ...(valid === undefined ? [] : [{ body: valid }])]
      const first = (r + k) % bodies.length
      for (const [b, body] of bodies.entries())
        // The sampled valid body goes with every credential in the first round.
        rounds[b === first || b === BODIES.length ? 0 : 1].push({
          method,
          path,
          auth,
          body,
          route: `${method} ${p}`,
        })
    }
  const queue = [...rounds[0], ...rounds[1]]
  const reached = new Set()
  const t0 = Date.now()
  let next = 0
  await Promise.all(
    Array.from({ length: P.concurrency }, async () => {
      while (next < queue.length && Date.now() - t0 < P.httpSeconds * 1000) {
        const { method, path, auth, body: b, route } = queue[next++]
        requests++
        try {
          const res = await request(
            srv.url,
            method,
            path + (method === 'GET' ? '?limit=-5&before=abc&page=%zz' : ''),
            { raw: b.raw, body: b.body, headers: { ...auth, ...(b.headers ?? {}) }, timeoutMs: 15_000 },
          )
          reached.add(route)
          if (res.status >= 500) five(`${method} ${path}`, res.status, res.text)
        } catch (err) {
          five(`${method} ${path}`, 'error', err.message)
        }
      }
    }),
  )
  const everyRoute = requests >= rounds[0].length
  if (!everyRoute)
    failures.push(`time bound hit before every route × credential was sent (${requests}/${rounds[0].length})`)
  ctx.report.add({
    suite: 'fuzz',
    name: 'fuzz/http',
    value: `${requests} requests over ${reached.size}/${routes.length} routes`,
    unit: '',
    pass: failures.length === 0,
    note: `${
      failures.length ? `${failures.length} 5xx/errors, e.g. ${failures.slice(0, 3).join(' | ')}` : 'no 5xx'
    }; every route × 4 credentials, then ${requests - Math.min(requests, rounds[0].length)}/${rounds[1].length} more bodies in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  })

  // 2. Socket.IO: malformed handshakes and frames, then the room must still work.
  const sioFailures = []
  let sio
  try {
    sio = await prepareTarget(ctx.subjects, 'sb-sio-wd', 'fuzz-room')
  } catch (err) {
    ctx.report.note('fuzz', `socket.io skipped: ${String(err.message ?? err).slice(0, 160)}`)
  }
  if (sio) {
    const base = srv.url
    for (const q of [
      'EIO=3&transport=websocket',
      'EIO=4&transport=carrier',
      'EIO=4&transport=polling&sid=nope',
      'EIO=4&transport=polling&sid=' + 'A'.repeat(500),
      'EIO=4',
    ]) {
      const res = await request(base, 'GET', `/socket.io/?${q}`)
      if (res.status >= 500) sioFailures.push(`GET /socket.io/?${q} → ${res.status}`)
      const post = await request(base, 'POST', `/socket.io/?${q}`, { raw: '4{{{' })
      if (post.status >= 500) sioFailures.push(`POST /socket.io/?${q} → ${post.status}`)
    }
    const nsp = sio.sio.nsp
    const frames = [
      '',
      '4',
      '42',
      '4x',
      '9',
      '5',
      '6',
      '1',
      '2',
      '3probe',
      '40',
      `40${nsp},`,
      `40${nsp},{bad`,
      '40/nope,{}',
      `41${nsp},`,
      `42${nsp},`,
      `42${nsp},[`,
      `42${nsp},{}`,
      `42${nsp},[]`,
      `42${nsp},[1,2]`,
      `42${nsp},["chat-message"]`,
      `42${nsp},["chat-message",null]`,
      `42${nsp},["chat-message",{"message":""}]`,
      `42${nsp},["chat-message",{"message":{"a":[1]}}]`,
      `42${nsp},["chat-message",{"message":"x","client_id":123}]`,
      `42${nsp},["chat-message","${'x'.repeat(40_000)}"]`,
      `42${nsp},["position",{"lat":"a"}]`,
      `42${nsp},["no-such-event",1]`,
      `4299999999999999999999${nsp},["chat-message","x"]`,
      `451-${nsp},["chat-message",{"_placeholder":true,"num":0}]`,
      `45${nsp},["chat-message"]`,
      `43${nsp},1[]`,
      `44${nsp},{}`,
      `42${nsp},${'['.repeat(5000)}`,
      '\u0000\u0001',
      '4' + randomBytes(64).toString('base64'),
    ]
    const { internal, closers } = await sendEach(frames, () => openNamespace(sio.sio))
    await finishProtocol(ctx, srv, {
      name: 'fuzz/socket.io',
      value: `${frames.length + 1} frames + 10 handshakes`,
      adapter: sio.adapter,
      fails: [...sioFailures, ...internal.map((x) => `internal_error frame: ${x}`)],
      closers,
    })
  }

  // 3. JSON chat protocol frames.
  let chat
  try {
    chat = await prepareTarget(ctx.subjects, 'sb-chat-wd', 'fuzz-chat')
  } catch (err) {
    ctx.report.note('fuzz', `JSON chat skipped: ${String(err.message ?? err).slice(0, 160)}`)
  }
  if (chat) {
    const fails = []
    const wsBase = srv.url.replace(/^http/, 'ws')
    for (const q of [
      '',
      '?token=x',
      `?token=${srv.member.access_token}`,
      `?token=${srv.member.access_token}&room_id=nope`,
      `?token=${srv.service}&room_id=${chat.chat.id}`,
    ]) {
      try {
        const s = await openWs(`${wsBase}/api/v1/chat/ws${q}`, { timeoutMs: 5000 })
        s.terminate()
      } catch (err) {
        if (/ws 5\d\d/.test(err.message))
          fails.push(`upgrade ${q.slice(0, 30)} → ${err.message.slice(0, 80)}`)
      }
    }
    const id = chat.chat.id
    const frames = [
      '',
      'x',
      '{',
      '[]',
      'null',
      '1',
      '"s"',
      '{}',
      '{"type":1}',
      '{"type":"nope"}',
      '{"type":"send_message"}',
      `{"type":"send_message","room_id":"${id}"}`,
      `{"type":"send_message","room_id":"${id}","content":""}`,
      `{"type":"send_message","room_id":"${id}","content":{"a":1}}`,
      `{"type":"send_message","room_id":"other","content":"x"}`,
      `{"type":"send_message","room_id":"${id}","content":"${'x'.repeat(40_000)}"}`,
      `{"type":"send_message","room_id":"${id}","content":"x","reply_to":12,"client_id":{}}`,
      `{"type":"join_room"}`,
      `{"type":"join_room","room_id":"nope"}`,
      `{"type":"leave_room","room_id":7}`,
      `{"type":"mark_read","room_id":"${id}","seq":"x"}`,
      `{"type":"edit_message","room_id":"${id}","message_id":"nope","content":"x"}`,
      `{"type":"delete_message","room_id":"${id}"}`,
      `{"type":"typing_start","room_id":[]}`,
      '['.repeat(5000),
      JSON.stringify({
        type: 'send_message',
        room_id: id,
        content: 'x',
        __proto__: { a: 1 },
        constructor: 1,
      }),
    ]
    const { internal, closers } = await sendEach(frames, async () => (await chat.adapter.open(0, null)).ws)
    await finishProtocol(ctx, srv, {
      name: 'fuzz/json-ws',
      value: `${frames.length + 1} frames + 5 upgrades`,
      adapter: chat.adapter,
      fails: [...fails, ...internal.map((x) => `internal_error frame: ${x}`)],
      closers,
    })
  }
  // 4. The live-chat socket (seed 004 `/ws/{session}/{user}/{type}`): the member's own session.
  try {
    await liveChat(ctx, srv)
  } catch (err) {
    ctx.report.note('fuzz', `live-chat socket skipped: ${String(err.message ?? err).slice(0, 160)}`)
  }
  // The server is still up.
  const health = await request(srv.url, 'GET', '/health').catch(() => ({ status: 'down' }))
  ctx.report.add({
    suite: 'fuzz',
    name: 'fuzz/server alive after',
    value: String(health.status),
    unit: '',
    pass: health.status === 200,
  })
}

/**
 * Sends each frame (then one random binary frame) on a socket from `open`, one at a time; if the
 * server closes the socket, notes which frame did it and reopens. Collects internal_error frames.
 */
async function sendEach(frames, open) {
  const internal = []
  const closers = []
  let ws
  const connect = async () => {
    ws = await open()
    ws.on('message', (d) => String(d).includes('internal_error') && internal.push(String(d).slice(0, 160)))
  }
  await connect()
  for (const f of [...frames, randomBytes(300)]) {
    ws.send(f)
    await sleep(25)
    if (ws.readyState !== 1) {
      closers.push(typeof f === 'string' ? f.slice(0, 40) : '<binary>')
      await connect()
    }
  }
  await sleep(1000)
  ws.terminate()
  return { internal, closers }
}

const closersNote = (closers) =>
  closers.length
    ? `server closed the socket on ${closers.length} frame(s): ${closers.map((c) => JSON.stringify(c)).join(' ')}`
    : 'socket stayed open throughout'

/** The room must still deliver to fresh clients after the fuzz; records the protocol's verdict. */
async function finishProtocol(ctx, srv, { name, value, adapter, fails, closers }) {
  const after = await fanout(adapter, {
    subscribers: 3,
    senders: 1,
    messages: 10,
    settleMs: 3000,
    timeoutMs: 15_000,
  })
  if (after.lost) fails.push(`room lost ${after.lost} of ${after.expected} after fuzz`)
  ctx.report.add({
    suite: 'fuzz',
    name,
    value,
    unit: '',
    pass: fails.length === 0 && srv.child.exitCode === null,
    note: fails.length
      ? fails.slice(0, 3).join(' | ')
      : `no 5xx, no internal_error; ${closersNote(closers)}; room delivered ${after.delivered}/${after.expected} after`,
  })
}

/** Malformed upgrades and frames on the live-chat socket; then the session still delivers. */
async function liveChat(ctx, srv) {
  const member = srv.member
  const session = (
    await call(srv.url, 'POST', '/api/v1/livechat/sessions', {
      headers: { authorization: `Bearer ${member.access_token}` },
      body: { subject: 'fuzz' },
    })
  ).data
  const wsBase = srv.url.replace(/^http/, 'ws')
  const url = `${wsBase}/ws/${session.id}/${member.user.id}/customer?token=${member.access_token}`
  const fails = []
  for (const path of [
    `/ws/${session.id}/${member.user.id}/customer`,
    `/ws/${session.id}/${member.user.id}/pilot?token=${member.access_token}`,
    `/ws/${session.id}/someone-else/customer?token=${member.access_token}`,
    `/ws/nope/${member.user.id}/customer?token=${member.access_token}`,
    `/ws/${session.id}/${member.user.id}/customer?token=x.y.z`,
    `/ws/${'%00'.repeat(50)}/x/agent?token=${srv.service}`,
  ]) {
    try {
      ;(await openWs(`${wsBase}${path}`, { timeoutMs: 5000 })).terminate()
    } catch (err) {
      if (/ws 5\d\d/.test(err.message))
        fails.push(`upgrade ${path.slice(0, 40)} → ${err.message.slice(0, 80)}`)
    }
  }
  const frames = [
    '',
    'x',
    '{',
    '[]',
    'null',
    '{}',
    '{"type":1}',
    '{"type":"teleport"}',
    '{"type":"send_message"}',
    '{"type":"send_message","data":{}}',
    '{"type":"send_message","data":{"message":""}}',
    '{"type":"send_message","data":{"message":{"a":1}}}',
    `{"type":"send_message","data":{"message":"${'x'.repeat(40_000)}"}}`,
    '{"type":"send_message","data":{"message":"x","client_id":{}}}',
    '{"type":"typing","data":{"is_typing":"yes"}}',
    '{"type":"typing_start","data":[]}',
    '{"type":"typing_stop"}',
    '['.repeat(5000),
  ]
  const { internal, closers } = await sendEach(frames, () => openWs(url))
  let n = 0
  const adapter = jsonWsAdapter({
    url,
    sendFrame: (text) => ({ type: 'send_message', data: { message: text, client_id: `fz${n++}` } }),
  })
  await finishProtocol(ctx, srv, {
    name: 'fuzz/live-chat-ws',
    value: `${frames.length + 1} frames + 6 upgrades`,
    adapter,
    fails: [...fails, ...internal.map((x) => `internal_error frame: ${x}`)],
    closers,
  })
}
