// Run sizes. `full` is what the README's table comes from; `smoke` only proves the harness works.
const SIO_CHAT = [
  'node-sio',
  'floor-wd',
  'floor-mf',
  'sb-sio-wd',
  'sb-sio-mf',
  'sb-chat-wd',
  'sb-chat-batch-wd',
]
// Targets run at both room sizes, so their CPU splits into per-message and per-send parts.
const BOTH_SIZES = ['node-sio', 'floor-wd', 'sb-sio-wd', 'sb-chat-wd', 'sb-chat-batch-wd']

const SMOKE_TARGETS = ['node-sio', 'floor-wd', 'sb-sio-wd', 'sb-chat-wd']

export const PROFILES = {
  full: {
    budgetS: 570,
    hardLimitS: 595,
    fanout: {
      repeats: 1,
      scenarios: [
        {
          id: '50x5@200',
          subscribers: 50,
          senders: 5,
          messages: 60,
          rate: 200,
          timeoutMs: 10_000,
          budgetS: 20,
          targets: ['node-sio', 'floor-wd', 'sb-sio-wd', 'sb-chat-wd'],
        },
        {
          id: '50x5-sat',
          subscribers: 50,
          senders: 5,
          messages: 60,
          rate: 0,
          timeoutMs: 20_000,
          budgetS: 30,
          targets: [...SIO_CHAT, 'floor+parse-wd', 'floor+store-wd'],
        },
        {
          id: '500x5-sat',
          subscribers: 500,
          senders: 5,
          messages: 8,
          rate: 0,
          timeoutMs: 25_000,
          budgetS: 45,
          targets: BOTH_SIZES,
        },
      ],
    },
    where: {
      targets: ['sb-sio-wd', 'sb-chat-wd'],
      load: { subscribers: 50, senders: 5, messages: 20 },
    },
    connections: {
      targets: ['node-sio', 'floor-mf', 'sb-sio-mf'],
      count: 10_000,
      rooms: 100,
      wave: 200,
      openSeconds: 20,
      idleSeconds: 11,
      wakeSeconds: 10,
      budgetS: 100,
    },
    rest: { servers: ['sb-wd', 'sb-mf'], concurrency: 16, seconds: 5 },
    reliability: {
      orderTargets: ['sb-sio-wd', 'sb-chat-wd'],
      orderSubscribers: 10,
      orderSenders: 20,
      orderMessages: 25,
      killMessages: 5000,
      killAfterAcks: 150,
    },
    fuzz: { httpSeconds: 30 },
  },
  smoke: {
    budgetS: 200,
    hardLimitS: 260,
    fanout: {
      repeats: 1,
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
      targets: ['sb-sio-wd', 'sb-chat-wd'],
      load: { subscribers: 10, senders: 2, messages: 20 },
    },
    connections: {
      targets: ['node-sio', 'floor-wd', 'sb-sio-wd'],
      count: 100,
      rooms: 4,
      wave: 50,
      openSeconds: 10,
      idleSeconds: 2,
      wakeSeconds: 5,
      budgetS: 20,
    },
    rest: { servers: ['sb-wd'], concurrency: 4, seconds: 1 },
    reliability: {
      orderTargets: ['sb-sio-wd', 'sb-chat-wd'],
      orderSubscribers: 3,
      orderSenders: 20,
      orderMessages: 3,
      killMessages: 1000,
      killAfterAcks: 30,
    },
    fuzz: { httpSeconds: 8 },
  },
}
