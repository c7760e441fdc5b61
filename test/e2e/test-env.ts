/** Bindings every test project gets (the workers projects in vitest.config.mts and e2e's `wrangler dev`). */
export const TEST_VARS: Record<string, string> = {
  ENVIRONMENT: 'test',
  LOG_LEVEL: 'error',
  API_URL: 'http://localhost:8787',
  JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
  LIVEKIT_URL: 'http://livekit.test',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'devsecret-devsecret-devsecret-devsecret',
}

/** Bindings the e2e `wrangler dev` gets. Socket.IO pings are short so the ping tests finish quickly. */
export const E2E_VARS: Record<string, string> = {
  ...TEST_VARS,
  SOCKETIO_PING_INTERVAL: '400',
  SOCKETIO_PING_TIMEOUT: '3000',
  MESSAGES_PER_10S: '500',
}
