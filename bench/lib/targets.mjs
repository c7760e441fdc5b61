// What each fan-out / connection run talks to: a server plus how to speak to one room on it.
import { call } from './http.mjs'
import { jsonWsAdapter, sioAdapter } from './clients.mjs'
import { roomToken } from './switchboard.mjs'

/**
 * Issue targets, as ratios to the subject's floor in the same run (> 1 = ahead): deliveries/s at
 * saturation, deliveries per CPU-second, and p99 at half the floor's saturation (≥ 1/1.5: a p99
 * at most 1.5× the floor's). Unchanged frontends (socket.io-client defaults, token in `auth`, no
 * hint) must reach 0.8×; websocket-only clients without a hint 0.5×.
 */
const DEFAULT_GOALS = { saturation: 0.8, efficiency: 0.8, latency: 1 / 1.5 }
const WS_ONLY_GOALS = { saturation: 0.5, efficiency: 0.5 }

/** Runs compared against each other: `floor` names the floor of the same run mode. */
export const FANOUT_TARGETS = {
  'node-sio': { server: 'node-sio', kind: 'sio', role: 'baseline' },
  'floor-wd': { server: 'floor-wd', kind: 'sio', role: 'floor' },
  'floor-mf': { server: 'floor-mf', kind: 'sio', role: 'floor' },
  // The floor plus one more step of the send path each (bench/floor/worker.js `?mode=`).
  'floor+parse-wd': { server: 'floor-wd', kind: 'sio', role: 'variant', mode: 'parse', floor: 'floor-wd' },
  'floor+store-wd': { server: 'floor-wd', kind: 'sio', role: 'variant', mode: 'store', floor: 'floor-wd' },
  'floor+store-mf': { server: 'floor-mf', kind: 'sio', role: 'variant', mode: 'store', floor: 'floor-mf' },
  // The floor storing each message before it relays it, as a durable ordered room must (`durable`).
  'floor+durable-wd': {
    server: 'floor-wd',
    kind: 'sio',
    role: 'variant',
    mode: 'durable',
    floor: 'floor-wd',
  },
  'floor+durable-mf': {
    server: 'floor-mf',
    kind: 'sio',
    role: 'variant',
    mode: 'durable',
    floor: 'floor-mf',
  },
  'floor+contract-wd': {
    server: 'floor-wd',
    kind: 'sio',
    role: 'variant',
    mode: 'contract',
    floor: 'floor-wd',
  },
  'floor+contract-mf': {
    server: 'floor-mf',
    kind: 'sio',
    role: 'variant',
    mode: 'contract',
    floor: 'floor-mf',
  },
  // The bare floor's own object and code inside Switchboard's Worker — its isolate, with its whole
  // code loaded, and its bindings (bench/lib/floor-in-switchboard.mjs): the
  // latency Switchboard's deployment alone costs the same room code.
  'floor-in-sb-wd': { server: 'floor-in-sb-wd', kind: 'sio', role: 'isolate', floor: 'floor-wd' },
  'floor-in-sb-mf': { server: 'floor-in-sb-mf', kind: 'sio', role: 'isolate', floor: 'floor-mf' },
  // The same, storing each message before it relays it (`durable`): what a durable ordered room's
  // latency cannot go below in Switchboard's Worker — the reference that judges its room code.
  'floor-in-sb+durable-wd': {
    server: 'floor-in-sb-wd',
    kind: 'sio',
    role: 'isolate',
    mode: 'durable',
    floor: 'floor-wd',
  },
  'floor-in-sb+durable-mf': {
    server: 'floor-in-sb-mf',
    kind: 'sio',
    role: 'isolate',
    mode: 'durable',
    floor: 'floor-mf',
  },
  'sb-sio-wd': { server: 'sb-wd', kind: 'sio', floor: 'floor-wd' },
  'sb-sio-mf': { server: 'sb-mf', kind: 'sio', floor: 'floor-mf' },
  // Without a routing hint in the URL the socket lives in one of the shared home objects, which follows
  // the room across objects: the uncommon, slower path (SPEC §5.1 fan-out across objects).
  'sb-sio-home-wd': { server: 'sb-wd', kind: 'sio', floor: 'floor-wd', hint: false, goals: WS_ONLY_GOALS },
  'sb-sio-home-mf': { server: 'sb-mf', kind: 'sio', floor: 'floor-mf', hint: false, goals: WS_ONLY_GOALS },
  // What unchanged seed-000 frontends do: `io(url + '/' + room, { auth: { token } })` with
  // socket.io-client's default transports (long-polling, then the upgrade) and no hint.
  'sb-sio-default-wd': {
    server: 'sb-wd',
    kind: 'sio',
    floor: 'floor-wd',
    hint: false,
    transports: 'default',
    goals: DEFAULT_GOALS,
  },
  'sb-sio-default-mf': {
    server: 'sb-mf',
    kind: 'sio',
    floor: 'floor-mf',
    hint: false,
    transports: 'default',
    goals: DEFAULT_GOALS,
  },
  // The JSON chat protocol, persisted and ordered. `peer`: the PartyServer room of the same run
  // mode, and the share of its deliveries/s at saturation this run must reach (issue 15: ≥ 1.0×
  // one frame per message, ≥ 2× batched), and the same share of `peer-party+contract-*` (that peer
  // sending Switchboard's frame) when the run measured it.
  'sb-chat-wd': {
    server: 'sb-wd',
    kind: 'chat',
    floor: 'floor-wd',
    peer: 'peer-party-wd',
    atLeast: 1,
  },
  'sb-chat-batch-wd': {
    server: 'sb-wd',
    kind: 'chat',
    batch: true,
    floor: 'floor-wd',
    peer: 'peer-party-wd',
    atLeast: 2,
  },
  'sb-chat-mf': {
    server: 'sb-mf',
    kind: 'chat',
    floor: 'floor-mf',
    peer: 'peer-party-mf',
    atLeast: 1,
  },
  'sb-chat-batch-mf': {
    server: 'sb-mf',
    kind: 'chat',
    batch: true,
    floor: 'floor-mf',
    peer: 'peer-party-mf',
    atLeast: 2,
  },
  // The JSON protocol's peer: PartyServer's chat example (bench/peer/), the same frames sent and
  // heard, re-broadcast untouched to every socket in the room.
  'peer-party-wd': { server: 'peer-wd', kind: 'party', role: 'peer', floor: 'floor-wd' },
  'peer-party-mf': { server: 'peer-mf', kind: 'party', role: 'peer', floor: 'floor-mf' },
  // The peer sending the frame Switchboard sends (seed 003's `new_message`, every field) instead of
  // relaying the sender's: what those bytes alone cost (bench/peer/worker.js, rooms `contract~…`).
  'peer-party+contract-wd': {
    server: 'peer-wd',
    kind: 'party',
    role: 'peer',
    mode: 'contract',
    floor: 'floor-wd',
  },
  'peer-party+contract-mf': {
    server: 'peer-mf',
    kind: 'party',
    role: 'peer',
    mode: 'contract',
    floor: 'floor-mf',
  },
  // Seed 004's live chat: one session, every socket the customer's own (a session has one
  // customer and one assigned agent, so a fan-out room is one user's many sockets).
  'sb-livechat-wd': { server: 'sb-wd', kind: 'livechat', floor: 'floor-wd' },
}

/**
 * Prepares `name` for one room: `{ srv, sio?, adapter }` where `sio` is `{base, nsp, auth, query}`
 * (what the raw Engine.IO client needs) and `adapter` feeds the fan-out engine.
 */
export async function prepareTarget(subjects, name, room, { probe = true } = {}) {
  const def = FANOUT_TARGETS[name]
  const srv = await subjects.get(def.server)
  if (def.kind === 'sio') {
    const sio = { base: srv.url, nsp: `/${room}` }
    if (def.role === 'floor' || def.role === 'isolate' || def.role === 'variant')
      sio.query = def.mode ? { room, mode: def.mode } : { room }
    if (!def.role) {
      // Switchboard: a LiveKit token for the room from the gateway, presented as auth.token.
      const generated = await roomToken(srv.url, srv.service, room, `bench-${room}`)
      sio.nsp = `/${generated.room ?? room}`
      sio.auth = { token: generated.token }
      // The room in the URL lets the Worker open the socket in the room's own object.
      if (def.hint !== false) sio.query = { room: generated.room ?? room }
    }
    // Probe: one socket must get in, or the subject is not there (e.g. not on main yet).
    if (def.transports) sio.transports = def.transports
    const adapter = sioAdapter(sio)
    if (probe) (await adapter.open(0, null)).close()
    return { srv, def, sio, adapter }
  }
  if (def.kind === 'livechat') {
    const token = srv.member.access_token
    const session = (
      await call(srv.url, 'POST', '/api/v1/livechat/sessions', {
        headers: { authorization: `Bearer ${token}` },
        body: { subject: room },
      })
    ).data
    const q = new URLSearchParams({ token })
    const url = `${srv.url.replace(/^http/, 'ws')}/ws/${session.id}/${srv.member.user.id}/customer?${q}`
    let n = 0
    const adapter = jsonWsAdapter({
      url,
      sendFrame: (text) => ({ type: 'send_message', data: { message: text, client_id: `c${n++}` } }),
    })
    return { srv, def, session, adapter }
  }
  if (def.kind === 'party') {
    const name = def.mode ? `${def.mode}~${room}` : room
    const url = `${srv.url.replace(/^http/, 'ws')}/parties/chat/${encodeURIComponent(name)}`
    return { srv, def, adapter: chatAdapter(url, room) }
  }
  // JSON WebSocket chat protocol: a group chat owned by the bench member.
  const token = srv.member.access_token
  const chat = (
    await call(srv.url, 'POST', '/api/v1/chats', {
      headers: { authorization: `Bearer ${token}` },
      body: { type: 'group', name: room },
    })
  ).data
  const q = new URLSearchParams({ token, room_id: chat.id })
  if (def.batch) q.set('batch', '1')
  const url = `${srv.url.replace(/^http/, 'ws')}/api/v1/chat/ws?${q}`
  return { srv, def, chat, adapter: chatAdapter(url, chat.id) }
}

/** The JSON protocol's `send_message` frames out, any frame with a stamp in (Switchboard and its peer). */
function chatAdapter(url, roomId) {
  let n = 0
  return jsonWsAdapter({
    url,
    sendFrame: (text) => ({ type: 'send_message', room_id: roomId, content: text, client_id: `c${n++}` }),
  })
}
