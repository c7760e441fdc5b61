// Run sizes. `full` is what the README's table comes from; `smoke` only proves the harness works.
// The JSON chat protocol beside its peer (PartyServer: bench/peer/), each run mode's peer first —
// subjects run in the order they are first listed, and a ratio needs its reference measured.
const CHAT_PEER = [
  'peer-party-wd',
  'peer-party+contract-wd',
  'sb-chat-wd',
  'sb-chat-batch-wd',
  'peer-party-mf',
  'peer-party+contract-mf',
  'sb-chat-mf',
  'sb-chat-batch-mf',
]
// The path unchanged seed-000 frontends take comes first (socket.io-client defaults, token in
// `auth`, no hint): the headline figures; the hinted path (`sb-sio-*` without `default`) is the variant.
// Each floor runs before the subjects compared with it (a ratio needs its reference measured):
// floor+contract-* is the floor sending seed 000's chat-message bytes (bench/floor).
const FLOORS = ['floor-wd', 'floor-mf', 'floor+contract-wd', 'floor+contract-mf']
const DEFAULT_PATH = ['sb-sio-default-wd', 'sb-sio-default-mf']
const SIO = ['node-sio', ...FLOORS, ...DEFAULT_PATH, 'sb-sio-home-wd', 'sb-sio-home-mf']
// The hinted path (`?room=`, the variant) and seed 004's live chat carry no target: they run only
// when `--targets` names them, so the targets' runs fit the budget.
const OPTIONAL = ['sb-sio-wd', 'sb-sio-mf', 'sb-livechat-wd']
// The floor plus one step of the send path each (bench/floor/worker.js `?mode=`): not in the full
// run (floor+contract and the floor's relay in Switchboard's isolate answer what they asked), still
// run by `--targets` at saturation and at half load.
const FLOOR_STEPS = [
  'floor+parse-wd',
  'floor+store-wd',
  'floor+store-mf',
  'floor+durable-wd',
  'floor+durable-mf',
]
// The subjects issue 15's targets name at both room sizes (their CPU also splits into per-message
// and per-send parts), with their floors. The JSON chat peers and the Node baseline run at 50 only:
// at 500 they would not fit the 10-minute budget beside the 500 long-polling handshakes of the default path.
const AT_500 = [...FLOORS, ...DEFAULT_PATH, 'sb-sio-home-wd', 'sb-sio-home-mf']
// Latency at half the floor's saturation (each subject offered half of what its own floor took).
// floor+contract-* are offered their bare floor's half too: what the contract's bytes alone cost in
// latency; floor-in-sb-* the same, the floor's own code in Switchboard's Worker (its isolate, its
// bindings): what Switchboard's deployment costs;
// floor-in-sb+durable-* that code storing each message before it relays it: what durability adds.
const IN_SB = ['floor-in-sb-wd', 'floor-in-sb-mf', 'floor-in-sb+durable-wd', 'floor-in-sb+durable-mf']
const HALF = [...FLOORS, ...IN_SB, ...DEFAULT_PATH]

const SMOKE_TARGETS = ['node-sio', 'floor-wd', 'sb-sio-wd', 'peer-party-wd', 'sb-chat-wd']

export const PROFILES = {
  full: {
    // Aim: everything done within 10 minutes; new work stops starting when the budget runs low
    // (≈ 560 s on a quiet machine, of which the 500-subscriber default and home paths ≈ 200 s).
    budgetS: 580,
    hardLimitS: 598,
    // Seconds kept for each suite while earlier ones run (a suite may use what is left over).
    reserveS: { fuzz: 20, where: 15, fanout: 380, rest: 50, connections: 75 },
    fanout: {
      scenarios: [
        {
          id: '50x5-sat',
          subscribers: 50,
          senders: 5,
          // Three send rounds of 40,000 deliveries over the same connections, the median round:
          // about 1–1.5 s each for the uncompressed subjects (one round of 15,000 took under a
          // second once WebSockets stopped compressing, and subjects measured seconds apart
          // differed by ±30%), ~5 s for PartyServer's own (compressing) rooms. 160 per sender, not
          // 200, since the rounds alternate between subjects (each warmed up and started on a
          // quiet server: ~0.4 s more per round).
          messages: 160,
          rounds: 3,
          // The rounds alternate between subjects (bench/suites/fanout.mjs).
          alternate: true,
          rate: 0,
          timeoutMs: 40_000,
          budgetS: 40,
          // (Subjects run in the order first listed: the Socket.IO headline runs and their floors first.)
          targets: [...SIO, ...CHAT_PEER],
          optional: [...OPTIONAL, ...FLOOR_STEPS],
        },
        {
          id: '50x5@half',
          halfOf: '50x5-sat',
          subscribers: 50,
          senders: 5,
          // Three rounds of 600 messages (1–2 s each at half the floor's rate), the median round by
          // p99: one round's p99 is its 6 slowest messages, which one garbage-collector pause sets
          // (a single round of 1,000 moved by 2× between identical runs).
          messages: 120,
          rounds: 3,
          // Subjects one after another (not alternating: latency is measured in steady state), each
          // after one second at its rate, unmeasured.
          warmupMs: 1000,
          timeoutMs: 20_000,
          budgetS: 15,
          targets: HALF,
          optional: FLOOR_STEPS,
        },
        {
          id: '500x5-sat',
          subscribers: 500,
          senders: 5,
          // Three send rounds over the same 500 connections (opening them is most of the run's
          // time), the median reported: one round's CPU figure varied by ±20% here run to run.
          // 37,500 deliveries per round: 1.5–3 s each.
          messages: 15,
          rounds: 3,
          alternate: true,
          rate: 0,
          timeoutMs: 40_000,
          budgetS: 35,
          // Also reported: server CPU per connection while the 505 open (how each path joins).
          reportOpen: true,
          targets: AT_500,
        },
      ],
    },
    where: {
      targets: ['sb-sio-mf', 'sb-chat-mf'],
      load: { subscribers: 50, senders: 5, messages: 20 },
    },
    connections: {
      // Target → socket count. Switchboard last: the run stops starting targets below minSeconds.
      // 4,000 each (10,000 would not leave the fan-out suite its 500-subscriber runs within the
      // budget; `--only shards` holds 19,500 in one workerd).
      targets: { 'node-sio': 4_000, 'floor-mf': 4_000, 'sb-sio-mf': 4_000 },
      rooms: 100,
      concurrency: 64,
      openSeconds: { default: 60 },
      // Long enough for local workerd to hibernate the idle objects (≈ 10 s); Node has nothing to wait for.
      idleSeconds: { default: 11, 'node-sio': 2 },
      wakeSeconds: 10,
      // The fewest seconds a target's open phase is started with: Node and the floor open their
      // 4,000 in 6–8 s here, Switchboard in 24–30 s (a time-bound open is reported as such).
      minSeconds: { default: 40, 'node-sio': 15, 'floor-mf': 15 },
    },
    // Each Switchboard server is held against the D1 floor run the same way (wrangler dev / one
    // workerd).
    rest: {
      floor: { 'sb-wd': 'floor-wd', 'sb-mf': 'floor-mf' },
      concurrency: 16,
      rounds: 3,
      slice: 1,
      loginSeconds: 2,
    },
    reliability: {
      orderTargets: ['sb-sio-wd', 'sb-chat-wd'],
      orderSubscribers: 10,
      orderSenders: 20,
      orderMessages: 25,
      killMessages: 5000,
      killAfterAcks: 150,
    },
    fuzz: { httpSeconds: 12, concurrency: 8 },
    // One live session over 4 objects (the room + 3 shards of up to 5,000 sockets), opened by 20
    // users (presence is per user: O(users × sockets) frames). 19,500 sockets, not 20,000: the
    // hard fd limit here is 20,000 per process (server and bench client alike), and workerd
    // needs ≈ 1 fd per socket plus ≈ 100 of its own. `--only shards`.
    shards: {
      sockets: 19_500,
      perShard: 5_000,
      users: 20,
      concurrency: 64,
      openSeconds: 480,
      events: 20,
      publishConcurrency: 4,
      deliverSeconds: 60,
      // From the server being up; the run's hard stop for `--only shards` is hardLimitS.
      budgetS: 560,
      hardLimitS: 700,
    },
  },
  smoke: {
    budgetS: 200,
    hardLimitS: 260,
    reserveS: { fuzz: 15, where: 15, fanout: 40, rest: 10, connections: 30 },
    fanout: {
      scenarios: [
        {
          id: '5x2@50',
          subscribers: 5,
          senders: 2,
          messages: 20,
          rate: 50,
          budgetS: 5,
          targets: SMOKE_TARGETS,
        },
        {
          id: '5x2-sat',
          subscribers: 5,
          senders: 2,
          messages: 20,
          rate: 0,
          budgetS: 5,
          targets: SMOKE_TARGETS,
        },
        {
          id: '20x2-sat',
          subscribers: 20,
          senders: 2,
          messages: 10,
          rate: 0,
          budgetS: 5,
          targets: SMOKE_TARGETS,
        },
      ],
    },
    where: {
      targets: ['sb-sio-mf', 'sb-chat-mf'],
      load: { subscribers: 10, senders: 2, messages: 20 },
    },
    connections: {
      targets: { 'node-sio': 100, 'floor-wd': 100, 'sb-sio-wd': 100 },
      rooms: 4,
      concurrency: 16,
      openSeconds: { default: 10 },
      idleSeconds: { default: 2 },
      wakeSeconds: 5,
      minSeconds: { default: 10 },
    },
    rest: { floor: { 'sb-wd': 'floor-wd' }, concurrency: 4, rounds: 1, slice: 1, loginSeconds: 1 },
    reliability: {
      orderTargets: ['sb-sio-wd', 'sb-chat-wd'],
      orderSubscribers: 3,
      orderSenders: 20,
      orderMessages: 3,
      killMessages: 1000,
      killAfterAcks: 30,
    },
    fuzz: { httpSeconds: 8, concurrency: 4 },
    shards: {
      sockets: 400,
      perShard: 100,
      users: 10,
      concurrency: 16,
      openSeconds: 30,
      events: 10,
      publishConcurrency: 4,
      deliverSeconds: 15,
      budgetS: 80,
      hardLimitS: 200,
    },
  },
}
