import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { TEST_VARS } from './test/e2e/test-env'
import { buildWeb } from './web/build.mjs'
import { pagesWorkerOptions } from './web/miniflare.mjs'

// Three projects:
// - `workers`: tests inside workerd with the real bindings of wrangler.toml (local D1, R2, Durable
//   Objects). Secrets that `.dev.vars` gives `wrangler dev` are fixed here so tests never depend on a local file.
// - `workers-timers`: the same with short Socket.IO ping and ack timers (hibernation, ack expiry).
// - `node`: plain Node tests (libraries that do not run in workerd, such as @asyncapi/parser).
// - `e2e`: Node tests that drive real clients (socket.io-client) against `wrangler dev`, started by
//   test/e2e/global-setup.ts with the same secrets (test/e2e/test-env.ts).
// The pages served from the static assets (web/dist) are built first, as `wrangler dev` does.
await buildWeb()
const migrations = await readD1Migrations('./migrations')
// The pages Worker that wrangler.toml's ASSETS service binding names (web/wrangler.toml), read once
// for every workers project.
const pagesWorker = pagesWorkerOptions()
// Tests that need Socket.IO timers short enough to pass many of them in a few seconds.
const TIMER_TESTS = [
  'test/objects/socketio-hibernation.test.ts',
  'test/objects/socketio-notification.test.ts',
  'test/objects/object-metrics.test.ts',
]
// Tests of the Engine.IO / Socket.IO protocol behaviour the official suite checks, with its settings.
const CONFORMANCE_TESTS = ['test/objects/socketio-engine.test.ts']

/** A project running inside workerd with wrangler.toml's bindings, the test secrets and `vars`. */
function workersProject(
  name: string,
  vars: Record<string, string>,
  files: { include: string[]; exclude?: string[] },
) {
  return {
    plugins: [
      cloudflareTest({
        // The production Worker with test subclasses of the objects tests steer (test/worker-entry.ts).
        main: './test/worker-entry.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          workers: [pagesWorker],
          bindings: {
            ...TEST_VARS,
            // A second LiveKit node, so placement and fail-over are tested (test/livekit-double.ts).
            LIVEKIT_NODES: JSON.stringify([
              {
                name: 'edge',
                url: 'http://livekit-edge.test',
                apiKey: 'edgekey',
                apiSecret: 'edgesecret-edgesecret-edgesecret-edge',
              },
            ]),
            TEST_MIGRATIONS: migrations,
            // Webhook retries 1 s then 2 s apart, a dead letter after the third try (test/ops/webhooks.test.ts).
            WEBHOOK_RETRY_BASE_SECONDS: '1',
            WEBHOOK_MAX_ATTEMPTS: '3',
            METRICS_TOKEN: 'test-metrics-token',
            ...vars,
          },
        },
      }),
    ],
    test: {
      name,
      setupFiles: ['./test/setup.ts'],
      ...files,
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      workersProject(
        'workers',
        {},
        {
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/node/**', ...TIMER_TESTS, ...CONFORMANCE_TESTS],
        },
      ),
      // Socket.IO pings every 250 ms (timeout 1 s) and acks time out after 500 ms, so tests can
      // evict objects across several ping intervals, or let acks expire, in seconds; objects
      // report metrics at most once a second.
      workersProject(
        'workers-timers',
        {
          SOCKETIO_PING_INTERVAL: '250',
          SOCKETIO_PING_TIMEOUT: '1000',
          SOCKETIO_ACK_TIMEOUT: '500',
          METRICS_REPORT_INTERVAL_MS: '1000',
        },
        { include: TIMER_TESTS },
      ),
      // The protocol suite's reference server: echo namespaces, pings 300/200 ms, connect timeout 1 s.
      workersProject(
        'workers-conformance',
        {
          SOCKETIO_CONFORMANCE: 'true',
          SOCKETIO_PING_INTERVAL: '300',
          SOCKETIO_PING_TIMEOUT: '200',
          SOCKETIO_CONNECT_TIMEOUT: '1000',
        },
        { include: CONFORMANCE_TESTS },
      ),
      // Plain Node tests of things that only run in Node (e.g. @asyncapi/parser).
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['./test/e2e/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
})
