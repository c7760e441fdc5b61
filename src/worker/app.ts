import { gatewayAuthRoutes } from './gateway/auth'
import { gatewayStatsRoutes } from './gateway/stats'
import { gatewayCarRoutes } from './gateway/car'
import { gatewayCaseRoutes } from './gateway/case'
import { gatewayNotificationRoutes } from './gateway/notification'
import { gatewayStaticRoutes } from './gateway/static'
import { gatewayUploadRoutes } from './gateway/upload'
import { gatewayChatRoutes } from './gateway/chat'
import { gatewayLinkRoutes } from './gateway/link'
import { gatewayServiceRoutes } from './gateway/service'
import { gatewaySystemRoutes } from './gateway/system'
import { gatewayRadioRoutes } from './gateway/radio'
import { gatewayRecordRoutes } from './gateway/record'
import { gatewayTestRoutes } from './gateway/test'
import { gatewayRoomRoutes } from './gateway/room'
import { gatewayUserRoutes } from './gateway/user'
import { gatewayWebhookRoutes } from './gateway/webhook'
import { AppError } from './lib/errors'
import { renderError } from './lib/error-response'
import { router } from './lib/router'
import { bodySize } from './middleware/body-size'
import { countRequests } from './middleware/count-requests'
import { WebhookDelivery } from './schemas/events'
import { cors } from './middleware/cors'
import { requestContext } from './middleware/request-context'
import { adminWebhookRoutes } from './routes/admin-webhooks'
import { adminStatsRoutes, metricsRoutes } from './routes/metrics'
import { authRoutes } from './routes/auth'
import { chatWsRoutes } from './routes/chat-ws'
import { chatRoomRoutes } from './routes/chat-rooms'
import { chatRoutes } from './routes/chats'
import { liveRoutes } from './routes/live'
import { liveWsRoutes } from './routes/live-ws'
import { socketIoRoutes } from './routes/socketio'
import { fileRoutes } from './routes/files'
import { notificationRoutes } from './routes/notifications'
import { connectionStatusRoutes, liveChatRoutes } from './routes/livechat'
import { liveChatWsRoutes } from './routes/livechat-ws'
import { systemRoutes, VERSION } from './routes/system'
import { userRoutes } from './routes/users'
import { asyncApiRoutes } from './routes/asyncapi'
import { fromPages, landingForBrowsers, pageRoutes } from './routes/pages'
import { documentWebSocketEndpoints } from './routes/websocket-docs'

/** The Hono app: middlewares, every route family, one error handler. */
export const app = router()

app.use('*', requestContext())
app.use('*', cors())
app.use('*', bodySize())
app.use('*', countRequests())

// Modern API (SPEC §4.1)
app.route('/api/v1/auth', authRoutes)
app.route('/api/v1/users', userRoutes)
app.route('/api/v1/chats', chatRoutes)
app.route('/api/v1/chat', chatWsRoutes)
app.route('/api/v1', chatRoomRoutes)
app.route('/api/v1/files', fileRoutes)
app.route('/api/v1/notifications', notificationRoutes)
app.route('/api/v1/live', liveRoutes)
app.route('/api/v1/live', liveWsRoutes)
app.route('/api/v1/livechat', liveChatRoutes)
app.route('/api/session', connectionStatusRoutes)
app.route('/ws', liveChatWsRoutes)
app.route('/api/v1/admin/webhooks', adminWebhookRoutes)
app.route('/api/v1/admin/stats', adminStatsRoutes)

// Browsers asking for `/` get the landing page (web/); JSON clients the gateway's answer
app.get('/', landingForBrowsers)

// Gateway API (seed 000, SPEC §4.2)
app.route('/auth', gatewayAuthRoutes)
app.route('/upload', gatewayUploadRoutes)
app.route('/case', gatewayCaseRoutes)
app.route('/car', gatewayCarRoutes)
app.route('/stats', gatewayStatsRoutes)
app.route('/', gatewayNotificationRoutes)
app.route('/', gatewayStaticRoutes)
app.route('/link', gatewayLinkRoutes)
app.route('/service', gatewayServiceRoutes)
app.route('/', gatewaySystemRoutes)
app.route('/room', gatewayRoomRoutes)
app.route('/user', gatewayUserRoutes)
app.route('/record', gatewayRecordRoutes)
app.route('/radio', gatewayRadioRoutes)
app.route('/test', gatewayTestRoutes)
app.route('/', gatewayWebhookRoutes)
app.route('/chat', gatewayChatRoutes)

// Socket.IO (seed 000 §4, SPEC §5.3)
app.route('/socket.io', socketIoRoutes)

// System
app.route('/', systemRoutes)
app.route('/', metricsRoutes)
app.route('/', asyncApiRoutes)
app.route('/', pageRoutes)
documentWebSocketEndpoints(app)

app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
})
// What Switchboard POSTs to registered endpoints (OpenAPI 3.1 `webhooks`).
app.openAPIRegistry.registerWebhook({
  method: 'post',
  path: 'switchboard-events',
  summary: 'Events for an endpoint registered under /api/v1/admin/webhooks',
  description:
    'Signed: `x-switchboard-timestamp` (Unix seconds) and `x-switchboard-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. Answer 2xx; anything else is retried with exponential backoff.',
  request: { body: { content: { 'application/json': { schema: WebhookDelivery } }, required: true } },
  responses: { 200: { description: 'Received (any 2xx)' } },
})
app.get('/openapi.json', (c) =>
  c.json(
    app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Switchboard',
        version: VERSION,
        description:
          'Real-time communications backend. `/api/v1/*` answers `{success,data|error}`; seed 000 gateway routes answer `{status:"SUCCESS"|"FAIL",message?,data?}`.',
      },
    }),
  ),
)

app.onError(renderError)
// A GET on a path no route serves may name a page's file (web/dist): the pages Worker answers it.
app.notFound(async (c) => {
  const allow = allowedMethods(c.req.path)
  const page = allow.length ? undefined : await fromPages(c)
  if (page) return page
  const err = allow.length
    ? new AppError('method_not_allowed', `${c.req.method} is not allowed here; use ${allow.join(' or ')}`, {
        allow,
      })
    : new AppError('not_found', `No route for ${c.req.method} ${c.req.path}`)
  return renderError(err, c)
})

let routeTable: { method: string; pattern: RegExp }[] | undefined

/** The methods the app serves at `path` (for a 405's `Allow`), from its route table. */
function allowedMethods(path: string): string[] {
  routeTable ??= app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({
      method: r.method,
      pattern: new RegExp(
        `^${r.path
          .split('/')
          .map((part) =>
            part === '*'
              ? '.*'
              : part.startsWith(':')
                ? part.includes('{')
                  ? `(?:${part.slice(part.indexOf('{') + 1, -1)})`
                  : '[^/]+'
                : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('/')}$`,
      ),
    }))
  const methods = new Set(routeTable.filter((r) => r.pattern.test(path)).map((r) => r.method))
  if (methods.has('GET')) methods.add('HEAD')
  return [...methods].sort()
}
