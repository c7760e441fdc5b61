import { z } from 'zod'
import './lib/zod-messages'

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
const int = (min = 0) => z.coerce.number().int().min(min)
const csv = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )

/** A LiveKit node as configured (SPEC §3: LIVEKIT_URL/KEY/SECRET, more in LIVEKIT_NODES). */
export const liveKitNodeConfig = z.object({
  name: z.string().min(1),
  url: z.string().url(),
  apiKey: z.string().min(1),
  apiSecret: z.string().min(1),
})
export type LiveKitNodeConfig = z.infer<typeof liveKitNodeConfig>

/** Durations written like seed 000's ROOM_DAY_DEFAULT_TIMEOUT: `24H`, `30M`, `7D`, `90S` → seconds. */
const duration = z
  .string()
  .regex(/^\d+[SMHD]$/i, 'must be a number followed by S, M, H or D, e.g. 24H')
  .transform(
    (v) => Number(v.slice(0, -1)) * { S: 1, M: 60, H: 3600, D: 86400 }[v.slice(-1).toUpperCase() as 'S'],
  )

/**
 * The one validated description of the environment, one schema per setting (rules that relate two
 * settings are in `crossFieldIssues`). Unknown bindings are ignored.
 */
export const configSchema = z.object({
  ENVIRONMENT: z.enum(['development', 'test', 'production']).default('production'),
  API_URL: z.string().url().default('http://localhost:8787'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
  ALLOWED_ORIGINS: csv,
  ALLOW_CREDENTIALS: bool.default(false),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  MAX_BODY_BYTES: int(1024).default(1_048_576),
  ACCESS_TOKEN_TTL: int(30).default(900),
  REFRESH_TOKEN_TTL: int(60).default(2_592_000),
  SERVICE_TOKEN_TTL: int(60).default(3600),
  LOGIN_LIMIT_PER_IP: int(1).default(20),
  LOGIN_LIMIT_PER_ACCOUNT: int(1).default(5),
  LOGIN_LIMIT_WINDOW: int(1).default(60),
  /** Join-by-code attempts (POST /api/v1/chats/join) allowed per IP and per account per window (s). */
  JOIN_CODE_LIMIT_PER_IP: int(1).default(60),
  JOIN_CODE_LIMIT_PER_ACCOUNT: int(1).default(10),
  JOIN_CODE_LIMIT_WINDOW: int(1).default(60),
  LOG_LIMIT_PER_MINUTE: int(1).default(60),
  MAX_MESSAGE_BYTES: int(64).default(16_384),
  MESSAGES_PER_10S: int(1).default(50),
  MAX_CONNECTIONS_PER_ROOM: int(1).default(5000),
  /** Most missed messages a resume replays (every chat protocol); beyond it clients page history. */
  REPLAY_LIMIT: int(1).default(1000),
  NOTIFICATION_PUBLIC: bool.default(false),
  /**
   * Whether WebSockets accept the client's permessage-deflate offer (RFC 7692). Off, as in
   * engine.io 4+: each compressing socket holds a deflate context and a broadcast compresses per
   * socket (objects/upgrade-response.ts).
   */
  WS_COMPRESSION: bool.default(false),
  /** Socket.IO (Engine.IO) ping interval and timeout, ms; max payload, bytes. */
  SOCKETIO_PING_INTERVAL: int(100).default(25_000),
  SOCKETIO_PING_TIMEOUT: int(100).default(20_000),
  SOCKETIO_MAX_PAYLOAD: int(1024).default(1_000_000),
  /** How long the server waits for a client's acknowledgement of an event it sent, ms. */
  SOCKETIO_ACK_TIMEOUT: int(100).default(10_000),
  /** A connection that joins no namespace within this many ms is closed (socket.io's connectTimeout). */
  SOCKETIO_CONNECT_TIMEOUT: int(100).default(45_000),
  /** Namespaces one connection may join at once; a CONNECT beyond gets CONNECT_ERROR. */
  SOCKETIO_MAX_NAMESPACES: int(1).default(20),
  /** Binary attachments one packet may announce; more is a protocol error (the connection closes). */
  SOCKETIO_MAX_ATTACHMENTS: int(0).default(10),
  /**
   * Home objects per location for Socket.IO sessions without a routing hint (each holds up to
   * MAX_CONNECTIONS_PER_ROOM sockets; a new session picks one at random).
   */
  SOCKETIO_HOME_OBJECTS: int(1).default(16),
  /**
   * Mounts the official protocol suite's reference namespaces `/` and `/custom` (echo) and
   * refuses every other namespace; for running socketio/socket.io-protocol's test suite only.
   */
  SOCKETIO_CONFORMANCE: bool.default(false),
  LIVEKIT_URL: z.string().url(),
  LIVEKIT_API_KEY: z.string().min(1),
  LIVEKIT_API_SECRET: z.string().min(1),
  LIVEKIT_NODES: z
    .string()
    .default('[]')
    .transform((v, ctx) => {
      try {
        return JSON.parse(v) as unknown
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {name,url,apiKey,apiSecret}' })
        return z.NEVER
      }
    })
    .pipe(z.array(liveKitNodeConfig)),
  EGRESS_LIMIT: int(0).default(4),
  /** Seed 002: off refuses every recording start (rooms and live sessions) with a 409 naming it. */
  LIVEKIT_RECORDING_ENABLED: bool.default(true),
  /** Egress uploads recordings to R2 through its S3 API: `https://<account>.r2.cloudflarestorage.com`. */
  RECORDING_S3_ENDPOINT: z.string().default(''),
  RECORDING_S3_BUCKET: z.string().default('switchboard'),
  RECORDING_S3_REGION: z.string().default('auto'),
  RECORDING_S3_ACCESS_KEY: z.string().default(''),
  RECORDING_S3_SECRET: z.string().default(''),
  SMS_ENABLE: bool.default(false),
  SMS_API_URL: z.union([z.literal(''), z.string().url()]).default(''),
  SMS_API_KEY: z.string().default(''),
  FILE_SIZE_LIMIT: int(1).default(524_288_000),
  /** Seed 000's delay before the same identity may join a room again: only 0 (none) is supported. */
  JOIN_ROOM_REPEAT_DELAY: int(0)
    .default(0)
    .refine((v) => v === 0, 'is not supported: a participant may rejoin a room at once; set 0 or remove it'),
  AUTO_CLOSE_ROOM: bool.default(true),
  ROOM_DAY_DEFAULT_TIMEOUT: duration.default(86_400),
  CUSTOM_CHARSET: z.string().min(10).default('ABCDEFGHIJKLMOPQRSTUVWXYZabcdefghijklmopqrstuvwxyz'),
  RADIO_LOCATION_API_URL: z.union([z.literal(''), z.string().url()]).default(''),
  RADIO_LOCATION_API_CREDENTIALS_USERNAME: z.string().default(''),
  RADIO_LOCATION_API_CREDENTIALS_PASSWORD: z.string().default(''),
  /** Seconds the radio feed is served from D1 before the radio API is asked again. */
  RADIO_CACHE_SECONDS: int(0).default(30),
  /** Seed 000's external video encoder: not supported (egress writes MP4/OGG to R2), must stay empty. */
  ENCODE_API: z
    .string()
    .default('')
    .refine(
      (v) => v === '',
      'is not supported: LiveKit egress writes finished MP4/OGG files to R2 and nothing is re-encoded; remove it',
    ),
  /** Seconds a live-session LiveKit token (join, host) stays valid for connecting. */
  LIVE_TOKEN_TTL: int(60).default(600),
  /** Outbound webhooks: tries per delivery (the last failure goes to the dead-letter store). */
  WEBHOOK_MAX_ATTEMPTS: int(1).max(100).default(8),
  /** Seconds before the first retry; each further retry waits twice as long (capped at 12 h). */
  WEBHOOK_RETRY_BASE_SECONDS: int(0).default(30),
  /** How long one delivery POST may take, ms. */
  WEBHOOK_TIMEOUT_MS: int(100).default(10_000),
  /** A user's last connection left a room: how long a reconnect still cancels `presence.left`, ms. */
  PRESENCE_LEAVE_GRACE_MS: int(0).default(5000),
  /** Room objects and Worker isolates send metrics to the registry at most this often, ms. */
  METRICS_REPORT_INTERVAL_MS: int(1000).default(10_000),
  /** Bearer that `GET /metrics` (Prometheus) requires; empty: `/metrics` is off (404). */
  METRICS_TOKEN: z.string().default(''),
})

export type Config = z.infer<typeof configSchema>

/** One problem with the configuration: the setting (with the field inside it, e.g. `LIVEKIT_NODES[0].url`) and why. */
export interface ConfigIssue {
  setting: string
  message: string
}

/** Rules that relate two settings, checked on whichever of them parsed (so every problem is listed at once). */
function crossFieldIssues(c: Partial<Config>): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  if (c.SOCKETIO_CONFORMANCE && (c.ENVIRONMENT ?? 'production') === 'production')
    issues.push({
      setting: 'SOCKETIO_CONFORMANCE',
      message: 'must be false when ENVIRONMENT=production (it replaces every namespace with test echoes)',
    })
  // Seed 004: a credentialed CORS response may never name every origin.
  if (c.ALLOW_CREDENTIALS && c.ALLOWED_ORIGINS?.includes('*'))
    issues.push({
      setting: 'ALLOWED_ORIGINS',
      message: 'cannot be * when ALLOW_CREDENTIALS is true; list the origins',
    })
  return issues
}

/** `LIVEKIT_NODES[0].url` for the path `['LIVEKIT_NODES', 0, 'url']`. */
const settingOf = (path: readonly PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') ||
  '?'

/** Thrown when the environment is unusable; names every offending setting. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.setting}: ${i.message}`).join('; ')}`)
    this.name = 'ConfigError'
  }
}

const cache = new WeakMap<object, Config>()

/**
 * Validates the settings in `env` (Worker bindings, or `wrangler.toml` [vars] merged with
 * `.dev.vars` before `npm run dev` serves): the typed config, or every problem at once — each
 * setting's own, the rules between settings, and for JSON settings the field (`LIVEKIT_NODES[0].url`).
 */
export function parseConfig(
  env: object,
): { success: true; data: Config } | { success: false; issues: ConfigIssue[] } {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(configSchema.shape)) {
    const value = (env as Record<string, unknown>)[key]
    // Empty strings from wrangler [vars] mean "unset" for settings that have defaults.
    if (value !== undefined && !(value === '' && key !== 'ALLOWED_ORIGINS')) raw[key] = value
  }
  const parsed = configSchema.safeParse(raw)
  // The settings that parsed on their own, so the cross-setting rules run even when others failed.
  const valid: Partial<Record<string, unknown>> = parsed.success ? parsed.data : {}
  const issues: ConfigIssue[] = []
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      issues.push({
        setting: settingOf(i.path),
        message:
          i.message === 'Invalid input: expected string, received undefined' ? 'is required' : i.message,
      })
    const failed = new Set(parsed.error.issues.map((i) => String(i.path[0])))
    for (const [key, schema] of Object.entries(configSchema.shape)) {
      if (failed.has(key)) continue
      const one = (schema as z.ZodType).safeParse(raw[key])
      if (one.success) valid[key] = one.data
    }
  }
  issues.push(...crossFieldIssues(valid as Partial<Config>))
  if (issues.length > 0) return { success: false, issues }
  return { success: true, data: parsed.data! }
}

/** Builds (once per bindings object) the typed config, or throws a ConfigError naming every problem. */
export function loadConfig(env: object): Config {
  const hit = cache.get(env)
  if (hit) return hit
  const parsed = parseConfig(env)
  if (!parsed.success) throw new ConfigError(parsed.issues)
  cache.set(env, parsed.data)
  return parsed.data
}

/** All LiveKit nodes: the default one from LIVEKIT_URL/KEY/SECRET first, then LIVEKIT_NODES. */
export function liveKitNodes(config: Config): LiveKitNodeConfig[] {
  const primary = {
    name: 'default',
    url: config.LIVEKIT_URL,
    apiKey: config.LIVEKIT_API_KEY,
    apiSecret: config.LIVEKIT_API_SECRET,
  }
  return [primary, ...config.LIVEKIT_NODES.filter((n) => n.name !== 'default')]
}
