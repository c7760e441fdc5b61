// Reliability: (a) SIGKILL the dev server mid-burst, restart on the same state, every acknowledged
// message must be there; (b) 20 concurrent senders — every receiver sees one identical, gap-free
// order. Fuzzing lives in fuzz.mjs.
import { io } from 'socket.io-client'
import { openWs } from '../lib/clients.mjs'
import { fanout } from '../lib/fanout.mjs'
import { call } from '../lib/http.mjs'
import { killGroup, sleep } from '../lib/proc.mjs'
import { prepareTarget } from '../lib/targets.mjs'
import { roomToken } from '../lib/switchboard.mjs'

export async function run(ctx) {
  const P = ctx.profile.reliability
  for (const name of P.orderTargets) await order(ctx, name, P)
  // A required check: it runs unless the run is already well past its budget (it needs ≈ 20 s).
  if (ctx.timeLeft() > -30) await killRun(ctx, P)
  else ctx.report.note('reliability', 'kill run skipped: time budget')
}

/** (b) S concurrent senders into one room; every receiver's sequence must be the same and complete. */
async function order(ctx, name, P) {
  let t
  try {
    t = await prepareTarget(ctx.subjects, name, `order-${name}`)
  } catch (err) {
    ctx.report.note('reliability', `order ${name} skipped: ${String(err.message ?? err).slice(0, 200)}`)
    return
  }
  const r = await fanout(t.adapter, {
    subscribers: P.orderSubscribers,
    senders: P.orderSenders,
    messages: P.orderMessages,
    rate: 0,
    recordOrder: true,
    timeoutMs: 60_000,
  })
  const total = P.orderSenders * P.orderMessages
  const reference = r.orders[0].join(' ')
  const identical = r.orders.every((o) => o.join(' ') === reference)
  const complete = r.orders.every((o) => o.length === total && new Set(o).size === total)
  // Each sender's own messages keep their order (FIFO per connection).
  const fifo = r.orders.every((o) => {
    const last = new Map()
    return o.every((k) => {
      const [s, i] = k.split('.').map(Number)
      const ok = (last.get(s) ?? -1) < i
      last.set(s, i)
      return ok
    })
  })
  // Server seqs, where the protocol exposes them per frame: consecutive integers.
  const seqs = r.seqs[0].filter((x) => typeof x === 'number')
  const gapFree = seqs.length < total || seqs.every((x, k) => k === 0 || x === seqs[k - 1] + 1)
  ctx.report.add({
    suite: 'reliability',
    name: `order/${name}`,
    value: `${P.orderSenders} senders × ${P.orderMessages} → ${P.orderSubscribers} receivers`,
    unit: '',
    pass: identical && complete && fifo && gapFree,
    note: `identical ${identical}, complete ${complete} (${r.delivered}/${r.expected}), per-sender FIFO ${fifo}, seq gap-free ${seqs.length >= total ? gapFree : 'n/a (batched frames)'}`,
  })
}

/** Sends with acks as fast as the window allows until killed; returns the acked client ids. */
function sioBurst(sio, count, window) {
  const socket = io(sio.base + sio.nsp, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: sio.auth,
    query: sio.query,
  })
  const acked = new Map()
  let sent = 0
  let inflight = 0
  const state = { acked, sent: () => sent, socket }
  const pump = () => {
    while (inflight < window && sent < count && socket.connected) {
      const id = `kill-${sent++}`
      inflight++
      socket.emit('chat-message', { message: `b|k|${id}|0`, client_id: id }, (ack) => {
        inflight--
        if (ack && typeof ack.seq === 'number') acked.set(id, ack.seq)
        pump()
      })
    }
  }
  state.ready = new Promise((resolve, reject) => {
    socket.once('connect', () => {
      pump()
      resolve()
    })
    socket.once('connect_error', reject)
  })
  return state
}

/** Reads the room's whole persisted chat via resume (`auth.last_seq`), page by page. */
async function sioHistory(sio) {
  const seen = new Map()
  let since = 0
  for (let page = 0; page < 50; page++) {
    const got = await new Promise((resolve, reject) => {
      const list = []
      const socket = io(sio.base + sio.nsp, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: { ...sio.auth, last_seq: since },
        query: sio.query,
      })
      socket.on('chat-message', (m) => list.push(m))
      socket.once('connect_error', reject)
      socket.once('connect', () => setTimeout(() => (socket.close(), resolve(list)), 1500))
    })
    const before = seen.size
    for (const m of got) if (m?.client_id) seen.set(m.client_id, m.seq)
    since = Math.max(since, ...got.map((m) => m.seq ?? 0))
    if (seen.size === before) break
  }
  return seen
}

/**
 * (a) kill -9 the whole `wrangler dev` process group of the shared `sb-wd` server mid-burst, then
 * restart it on the same `--persist-to` state (later suites go on with the restarted server).
 */
async function killRun(ctx, P) {
  let srv
  try {
    srv = await ctx.subjects.get('sb-wd')
  } catch (err) {
    ctx.report.note('reliability', `kill run skipped: ${String(err.message ?? err).slice(0, 200)}`)
    return
  }
  // Socket.IO room chat: acks carry the seq after the write.
  const room = 'kill-room'
  const generated = await roomToken(srv.url, srv.service, room)
  const sio = { base: srv.url, nsp: `/${room}`, auth: { token: generated.token }, query: { room } }
  // JSON protocol: message_ack after the write.
  let chat
  try {
    chat = await jsonBurstSetup(srv)
  } catch (err) {
    ctx.report.note(
      'reliability',
      `kill run (JSON chat) not available: ${String(err.message ?? err).slice(0, 120)}`,
    )
  }
  // The JSON burst first (it is the slower one), then Socket.IO, so both are mid-burst at the kill.
  const jsonBurst = chat ? chat.start(P.killMessages) : null
  const started = Date.now()
  while (jsonBurst && jsonBurst.acked.size < 5 && Date.now() - started < 10_000) await sleep(5)
  const burst = sioBurst(sio, P.killMessages, 32)
  let sioOk = true
  try {
    await burst.ready
  } catch (err) {
    sioOk = false
    ctx.report.note(
      'reliability',
      `kill run (Socket.IO) not available: ${String(err.message ?? err).slice(0, 120)}`,
    )
  }
  // Kill once both have acks flowing, mid-burst.
  const until = Date.now() + 15_000
  while (Date.now() < until) {
    const sioDone = !sioOk || burst.acked.size >= P.killAfterAcks
    const jsonDone = !jsonBurst || jsonBurst.acked.size >= P.killAfterAcks
    if (sioDone && jsonDone) break
    await sleep(5)
  }
  await killGroup(srv.child, 'SIGKILL')
  const sioAcked = new Map(burst.acked)
  const jsonAcked = jsonBurst ? new Map(jsonBurst.acked) : null
  const jsonSent = jsonBurst?.sent()
  burst.socket.close()
  jsonBurst?.close()
  // Restart on the same --persist-to state.
  srv = await ctx.subjects.restart('sb-wd')
  if (sioOk) reportKill(ctx, 'sb-sio-wd', sioAcked, await sioHistory(sio), burst.sent())
  if (chat && jsonAcked) reportKill(ctx, 'sb-chat-wd', jsonAcked, await chat.history(srv), jsonSent)
}

/** JSON chat burst with `send_message {client_id}` and `message_ack`; history via `since=0` replay. */
async function jsonBurstSetup(srv) {
  const token = srv.member.access_token
  const chat = (
    await call(srv.url, 'POST', '/api/v1/chats', {
      headers: { authorization: `Bearer ${token}` },
      body: { type: 'group', name: 'kill-chat' },
    })
  ).data
  const wsUrl = (base, extra = '') =>
    `${base.replace(/^http/, 'ws')}/api/v1/chat/ws?token=${encodeURIComponent(token)}&room_id=${chat.id}${extra}`
  return {
    start(count) {
      const acked = new Map()
      let ws
      let sent = 0
      openWs(wsUrl(srv.url))
        .then((s) => {
          ws = s
          ws.on('message', (d) => {
            const m = JSON.parse(String(d))
            for (const f of Array.isArray(m) ? m : [m]) {
              if (f.type === 'message_ack' && f.client_id) acked.set(f.client_id, f.seq)
            }
            while (sent < count && sent - acked.size < 32) send()
          })
          ws.on('error', () => {})
          for (let i = 0; i < 32; i++) send()
        })
        .catch(() => {})
      const send = () => {
        const id = `kill-${sent++}`
        ws.send(
          JSON.stringify({ type: 'send_message', room_id: chat.id, content: `b|k|${id}|0`, client_id: id }),
        )
      }
      return { acked, sent: () => sent, close: () => ws?.terminate() }
    },
    async history(s) {
      // Resume replays at most REPLAY_LIMIT messages per connect: page on with the last seq seen.
      const seen = new Map()
      let since = 0
      for (let page = 0; page < 50; page++) {
        const before = seen.size
        let top = since
        let timer
        let done
        const finished = new Promise((resolve) => (done = resolve))
        const ws = await openWs(wsUrl(s.url, `&since=${since}`), {
          onMessage: (d) => {
            const m = JSON.parse(String(d))
            for (const f of Array.isArray(m) ? m : [m]) {
              if (f.type === 'new_message' && f.client_id) seen.set(f.client_id, f.seq)
              if (typeof f.seq === 'number') top = Math.max(top, f.seq)
            }
            clearTimeout(timer)
            timer = setTimeout(done, 1000)
          },
        })
        timer = setTimeout(done, 3000)
        await finished
        ws.terminate()
        since = top
        if (seen.size === before) break
      }
      return seen
    },
  }
}

/** Every acknowledged client id must be present after the restart. */
function reportKill(ctx, name, acked, present, sent) {
  const lost = [...acked.keys()].filter((id) => !present.has(id))
  ctx.report.add({
    suite: 'reliability',
    name: `kill -9 mid-burst/${name}`,
    value: `${acked.size} acked, ${present.size} present after restart`,
    unit: '',
    pass: acked.size > 0 && lost.length === 0,
    note: `${sent} sent before the kill; lost acked: ${lost.length}${lost.length ? ` (${lost.slice(0, 5).join(',')})` : ''}`,
  })
}
