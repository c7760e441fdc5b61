import { DurableObject } from 'cloudflare:workers'
import { loadConfig } from '../worker/config'
import { AppError, type ErrorCode } from '../worker/lib/errors'
import type { AuthIdentity } from '../worker/lib/identity'
import { utf8Exceeds } from '../worker/lib/utf8'
import type { Env as WorkerEnv } from '../worker/env'
import { eraseStorage } from './lazy-tables'
import { logEvent, type LogLevel } from './log'
import { ObjectMetrics, type MetricsOf } from './metrics'
import { upgradeResponse } from './upgrade-response'

/** The request header through which the Worker hands an authenticated identity to an object. */
export const IDENTITY_HEADER = 'x-switchboard-identity'

/** What every socket's attachment holds. Subclasses extend it; the whole must stay under 2 KiB. */
export interface BaseAttachment {
  /** Connection id, unique within the object. */
  id: string
  connectedAt: number
}

/** One accepted socket and its (hibernation-surviving) attachment. */
export interface Connection<A extends BaseAttachment = BaseAttachment> {
  readonly ws: WebSocket
  readonly id: string
  state: A
}

/** Bounds every channel enforces (SPEC §5.1 Limits). */
export interface ChannelLimits {
  maxConnections: number
  maxMessageBytes: number
  /** Messages a connection may send per 10 s (token bucket refilled continuously). */
  messagesPer10s: number
}

/** Why a message was refused (a limit), as the protocol's error will say. */
export interface Refusal {
  code: ErrorCode
  message: string
}

const ATTACHMENT_MAX = 2048

/** Storage key (synchronous KV) of the object's own name. */
const NAME_KEY = 'channel:name'

/**
 * Base for every hibernatable WebSocket room (PartyServer's shape): it owns the platform entry
 * points (`fetch`, `webSocketMessage`, `webSocketClose`, `webSocketError`, `alarm`) and calls
 * small hooks (`onStart`, `onBeforeConnect`, `onConnect`, `onMessage`, `onClose`, `onRequest`,
 * `onAlarm`). Per-socket state lives in the socket attachment; the in-memory connection map is
 * rebuilt from `ctx.getWebSockets()` after every wake and is never the source of truth. The
 * per-message limits (size, rate) and the connection limit are checked here, once for every
 * protocol and transport (`admitMessage`, `admitConnection`). Errors thrown by hooks become error
 * frames; the connection stays open.
 */
export abstract class Channel<
  Env = unknown,
  A extends BaseAttachment = BaseAttachment,
> extends DurableObject<Env> {
  #connections = new Map<WebSocket, Connection<A>>()
  #buckets = new Map<string, { tokens: number; at: number }>()
  /** The object's name, once known (see `name`); kept in memory even when storage is erased. */
  #name: string | undefined
  /** Whether storage holds the name (false again once `eraseStorage` ran). */
  #nameKept = false
  /** When the alarm is set to ring (null: not set); read once at start, then kept here. */
  #alarmAt: number | null = null
  /** The earliest time `scheduleAlarm` asked for since the alarm last rang (`setAlarmAt` keeps it). */
  #wantedAt: number | null = null
  /** Live metrics (null: this object reports none); made on the first event, see `metrics`. */
  #metrics: ObjectMetrics | null | undefined

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    for (const ws of ctx.getWebSockets()) this.#track(ws)
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm()
      await this.onStart()
    })
  }

  /**
   * The object's own name (the `idFromName` / `getByName` name it was reached by): every object
   * of this project is named, so it knows which chat, room or session it is without being told.
   * An object woken by its alarm (after an eviction or a restart) is not told its name
   * (`ctx.id.name` is undefined there), so the name is kept in storage the first time it is known.
   */
  get name(): string {
    const name = this.#knownName()
    if (!name) throw new AppError('internal_error', 'Object reached without a name')
    this.#keepName()
    return name
  }

  /** The name as far as this instance knows it: remembered, told by its id, or stored. */
  #knownName(): string | undefined {
    return (this.#name ??= this.ctx.id.name ?? this.ctx.storage.kv.get<string>(NAME_KEY))
  }

  /**
   * Writes the name, when known, to storage unless it is there. Done on the first use of `name`
   * and whenever an alarm is set: an instance the alarm wakes is not told its name, and an
   * instance that was woken so must still answer to it after erasing its storage.
   */
  #keepName(): void {
    const name = this.#knownName()
    if (this.#nameKept || !name) return
    const kv = this.ctx.storage.kv
    if (kv.get<string>(NAME_KEY) !== name) kv.put(NAME_KEY, name)
    this.#nameKept = true
  }

  /** Start-up work, run once per wake inside `blockConcurrencyWhile` (before any event). */
  protected onStart(): void | Promise<void> {}

  /** The alarm rang (see scheduleAlarm); schedule the next one from here if work remains. */
  protected onAlarm(): void | Promise<void> {}

  /** Limits for this room; read per event so configuration changes apply on the next wake. */
  protected abstract limits(): ChannelLimits

  /**
   * Decides whether `request` may open a socket and returns its attachment (without `id` and
   * `connectedAt`, which the base fills) — or throws an AppError to refuse with that HTTP status.
   * `user` is the identity the Worker verified, if any (Socket.IO authenticates later, per namespace).
   */
  protected abstract onBeforeConnect(
    request: Request,
    user: AuthIdentity | undefined,
  ): Promise<Omit<A, 'id' | 'connectedAt'>> | Omit<A, 'id' | 'connectedAt'>

  /** Called once a socket is accepted. */
  protected onConnect(_conn: Connection<A>, _request: Request): void | Promise<void> {}

  /** Called for every frame that passed the size and rate limits. */
  protected abstract onMessage(conn: Connection<A>, message: string | ArrayBuffer): void | Promise<void>

  /** Called after a socket closed (by either side) and left the connection map. */
  protected onClose(_conn: Connection<A>, _code: number, _reason: string): void | Promise<void> {}

  /** Non-upgrade requests. */
  protected onRequest(_request: Request): Response | Promise<Response> {
    return Response.json({ type: 'error', code: 'not_found', message: 'Not found' }, { status: 404 })
  }

  /** Renders an error for this channel's wire protocol (`conn`: the connection it goes to). JSON protocol by default. */
  protected errorFrame(
    code: ErrorCode,
    message: string,
    extra?: Record<string, unknown>,
    _conn?: Connection<A>,
  ): string {
    return JSON.stringify({ type: 'error', code, message, ...extra })
  }

  /**
   * Fields of an incoming frame to echo in the error frame it causes (e.g. its type or a client
   * id), so that clients can match errors to what they sent. None by default.
   */
  protected errorRefs(_message: string | ArrayBuffer): Record<string, unknown> | undefined {
    return undefined
  }

  /** Sockets other objects hold that count toward this room's connection limit (followers). */
  protected remoteConnections(): number {
    return 0
  }

  /** Whether an upgrade opens a new connection (counted against the limit); true by default. */
  protected countsAsNew(_request: Request): boolean {
    return true
  }

  /** Connections this object holds besides its WebSockets (e.g. long-polling sessions). */
  protected heldElsewhere(): number {
    return 0
  }

  /** Extra hibernation tags for a new socket (≤ 9; the base adds none). */
  protected tags(_state: A): string[] {
    return []
  }

  /** What this object reports to the metrics registry: its kind and its WebSockets' protocol (none by default). */
  protected metricsOf(): MetricsOf | undefined {
    return undefined
  }

  /** Connections this object holds: its WebSockets and those it holds otherwise (`heldElsewhere`). */
  protected get held(): number {
    return this.#connections.size + this.heldElsewhere()
  }

  /** Rooms this object holds open now, for metrics: 1 while it holds any connection. */
  protected openRooms(): number {
    return this.held > 0 ? 1 : 0
  }

  // ── Platform entry points ──────────────────────────────────────────────────────────────

  async fetch(request: Request): Promise<Response> {
    if (this.ctx.id.name) void this.name // kept for wakes that do not carry it (alarms)
    const metrics = this.metrics
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      const response = await this.onRequest(request)
      this.settled()
      return response
    }
    try {
      const user = identityFrom(request)
      if (this.countsAsNew(request)) this.admitConnection()
      const partial = await this.onBeforeConnect(request, user)
      const state = { ...partial, id: crypto.randomUUID(), connectedAt: Date.now() } as A
      const { 0: client, 1: server } = new WebSocketPair()
      this.ctx.acceptWebSocket(server, this.tags(state))
      const conn = this.#attach(server, state)
      metrics?.opened('websocket')
      await this.onConnect(conn, request)
      this.settled()
      return upgradeResponse(client, loadConfig(this.env as object).WS_COMPRESSION)
    } catch (err) {
      const e = asAppError(err)
      this.settled()
      return Response.json({ type: 'error', code: e.code, message: e.message }, { status: e.status })
    }
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const metrics = this.metrics
    const conn = this.#connections.get(ws) ?? this.#track(ws)
    if (!conn) return
    const refused = this.admitMessage(this.rateKey(conn), message)
    if (refused) {
      this.onRefused(conn, message, refused)
      return this.settled()
    }
    try {
      await this.onMessage(conn, message)
    } catch (err) {
      metrics?.error()
      const e = asAppError(err)
      if (e.code === 'internal_error') this.log('error', 'onMessage', { error: err })
      this.sendTo(
        conn,
        this.errorFrame(
          e.code,
          e.message,
          { ...this.errorRefs(message), ...(e.details ? { details: e.details } : {}) },
          conn,
        ),
      )
    }
    this.settled()
  }

  async alarm(): Promise<void> {
    void this.metrics
    this.#alarmAt = null
    this.#wantedAt = null
    await this.onAlarm()
    this.settled()
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Answer the client's close frame, or it sees 1006. 1005/1006 may not be sent back.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason)
    } catch {
      /* already closed */
    }
    await this.#drop(ws, code, reason)
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    await this.#drop(ws, 1011, 'error')
  }

  // ── Helpers for subclasses ─────────────────────────────────────────────────────────────

  /**
   * The per-message limits, the one place every transport calls for each client message (a
   * WebSocket frame, or each packet of a long-polling POST): size, then the rate of the
   * connection `key` (a token bucket of `messagesPer10s`, refilled continuously). Answers the
   * refusal, or undefined when the message may proceed.
   */
  protected admitMessage(key: string, message: string | ArrayBuffer): Refusal | undefined {
    const limits = this.limits()
    const tooLarge =
      typeof message === 'string'
        ? utf8Exceeds(message, limits.maxMessageBytes)
        : message.byteLength > limits.maxMessageBytes
    if (tooLarge)
      return { code: 'payload_too_large', message: `Frame exceeds ${limits.maxMessageBytes} bytes` }
    if (!this.#take(key, limits.messagesPer10s))
      return { code: 'rate_limited', message: `More than ${limits.messagesPer10s} messages per 10s` }
    return undefined
  }

  /** Answers a message the limits refused: an error frame by default (nothing of it was processed; counted as an error). */
  protected onRefused(conn: Connection<A>, message: string | ArrayBuffer, refused: Refusal): void {
    this.metrics?.error()
    this.sendTo(conn, this.errorFrame(refused.code, refused.message, this.errorRefs(message), conn))
  }

  /** Forgets the rate bucket of a connection key that is gone. */
  protected forgetRate(key: string): void {
    this.#buckets.delete(key)
  }

  /** Which rate bucket a socket's messages count against (its connection id by default). */
  protected rateKey(conn: Connection<A>): string {
    return conn.id
  }

  /**
   * Throws 503 `rate_limited` when the room holds `maxConnections` already: this object's
   * sockets, the connections it holds otherwise (`heldElsewhere`, e.g. long-polling sessions)
   * and those other objects hold for it (`remoteConnections`). Called for every new connection,
   * whatever its transport.
   */
  protected admitConnection(): void {
    const limit = this.limits().maxConnections
    if (this.held + this.remoteConnections() >= limit)
      throw new AppError('rate_limited', 'Room is full', { limit }, 503)
  }

  /** Makes the alarm ring by `at`; an earlier alarm already set stays (earliest wins). */
  protected scheduleAlarm(at: number): void {
    if (this.#wantedAt === null || at < this.#wantedAt) this.#wantedAt = at
    if (this.#alarmAt !== null && this.#alarmAt <= at) return
    this.#alarmAt = at
    this.#keepName()
    void this.ctx.storage.setAlarm(at)
  }

  /**
   * Makes the alarm ring at `at` (null: not at all), replacing what this caller set before — but
   * never later than what `scheduleAlarm` asked for since the alarm last rang (typing expiry,
   * pending presence leaves, metrics), so one component's deadlines do not cancel another's.
   */
  protected setAlarmAt(at: number | null): void {
    if (this.#wantedAt !== null && (at === null || this.#wantedAt < at)) at = this.#wantedAt
    if (at === this.#alarmAt) return
    this.#alarmAt = at
    if (at === null) return void this.ctx.storage.deleteAlarm()
    this.#keepName()
    void this.ctx.storage.setAlarm(at)
  }

  /**
   * Erases everything this object stored (tables, entries, the alarm): see lazy-tables.ts. What it
   * kept in memory of them goes too, but for its name, which it stores anew when used again.
   */
  protected eraseStorage(): Promise<void> {
    this.#alarmAt = null
    this.#wantedAt = null
    // An instance its alarm woke knows its name only from storage: read it before it goes.
    this.#knownName()
    this.#nameKept = false
    return eraseStorage(this.ctx.storage)
  }

  /**
   * Called at the end of every event this object handles (a request, a socket's message or
   * close, the alarm): reports metrics if due. An object that keeps nothing once empty extends it.
   */
  protected settled(): void {
    this.reportMetrics()
  }

  /**
   * This object's live metrics (README "Operations"), or null when it reports none: made on the
   * first event of a wake, counting the WebSockets it already holds.
   */
  protected get metrics(): ObjectMetrics | null {
    if (this.#metrics === undefined) {
      const of = this.metricsOf()
      this.#metrics = of
        ? new ObjectMetrics(this.ctx, this.env as unknown as WorkerEnv, this.name, of, this.#connections.size)
        : null
    }
    return this.#metrics
  }

  /** Counts messages a room stored (metrics) and reports if due; called once per write batch. */
  protected countMessages(n: number): void {
    this.metrics?.message(n)
    this.reportMetrics()
  }

  /** Sends a metrics report if one is due, and makes the alarm ring for the next (earliest wins). */
  protected reportMetrics(): void {
    const next = this.metrics?.tick(this.openRooms(), this.heldElsewhere())
    if (next !== undefined && next !== null) this.scheduleAlarm(Math.max(next, Date.now()))
  }

  /** Sends what the metrics have not reported yet now, without waiting for the interval (the object empties for good). */
  protected reportLastMetrics(): void {
    this.metrics?.tick(this.openRooms(), this.heldElsewhere(), Date.now(), true)
  }

  /** One structured log line naming this object. */
  protected log(level: LogLevel, where: string, fields: Record<string, unknown> = {}): void {
    logEvent(level, where, { object: this.ctx.id.name, ...fields })
  }

  /** Every open connection (rebuilt from the runtime after a wake). */
  protected connections(): IterableIterator<Connection<A>> {
    return this.#connections.values()
  }

  protected get connectionCount(): number {
    return this.#connections.size
  }

  /** Sends to one socket; a socket that is already closing is skipped. */
  protected sendTo(conn: Connection<A>, data: string | ArrayBuffer | ArrayBufferView): void {
    try {
      conn.ws.send(data)
    } catch {
      /* closing socket: its close event cleans up */
    }
  }

  /** Sends one pre-encoded frame to every connection (optionally filtered), encoding nothing per socket. */
  protected broadcast(
    data: string | ArrayBuffer | ArrayBufferView,
    filter?: (conn: Connection<A>) => boolean,
  ): number {
    let sent = 0
    for (const conn of this.#connections.values()) {
      if (filter && !filter(conn)) continue
      this.sendTo(conn, data)
      sent++
    }
    return sent
  }

  /** Replaces a connection's attachment (checked against the 2 KiB platform cap). */
  protected saveState(conn: Connection<A>, state: A): void {
    if (utf8Exceeds(JSON.stringify(state), ATTACHMENT_MAX))
      throw new AppError('bad_request', 'Connection state too large')
    conn.ws.serializeAttachment(state)
    conn.state = state
  }

  /** Closes a connection with a code and reason (it leaves the map on its close event). */
  protected disconnect(conn: Connection<A>, code = 1000, reason = ''): void {
    try {
      conn.ws.close(code, reason)
    } catch {
      /* already closed */
    }
  }

  // ── Internals ──────────────────────────────────────────────────────────────────────────

  #attach(ws: WebSocket, state: A): Connection<A> {
    const conn: Connection<A> = { ws, id: state.id, state }
    this.saveState(conn, state)
    this.#connections.set(ws, conn)
    return conn
  }

  #track(ws: WebSocket): Connection<A> | undefined {
    const state = ws.deserializeAttachment() as A | null
    if (!state?.id) return undefined
    const conn: Connection<A> = { ws, id: state.id, state }
    this.#connections.set(ws, conn)
    return conn
  }

  async #drop(ws: WebSocket, code: number, reason: string): Promise<void> {
    const metrics = this.metrics
    const conn = this.#connections.get(ws) ?? this.#track(ws)
    this.#connections.delete(ws)
    if (!conn) return
    metrics?.closed('websocket')
    this.#buckets.delete(this.rateKey(conn))
    await this.onClose(conn, code, reason)
    this.settled()
  }

  #take(id: string, per10s: number): boolean {
    const now = Date.now()
    const bucket = this.#buckets.get(id) ?? { tokens: per10s, at: now }
    bucket.tokens = Math.min(per10s, bucket.tokens + ((now - bucket.at) / 10_000) * per10s)
    bucket.at = now
    this.#buckets.set(id, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}

/** Reads the identity the Worker attached to a forwarded request, if it attached one. */
export function identityFrom(request: Request): AuthIdentity | undefined {
  const raw = request.headers.get(IDENTITY_HEADER)
  return raw ? (JSON.parse(raw) as AuthIdentity) : undefined
}

/** Forwards `request` to an object with the caller's identity attached. */
export function withIdentity(request: Request, identity: AuthIdentity): Request {
  const forwarded = new Request(request)
  forwarded.headers.set(IDENTITY_HEADER, JSON.stringify(identity))
  return forwarded
}

export function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  if (err instanceof SyntaxError) return new AppError('bad_request', 'Malformed JSON')
  return new AppError('internal_error', 'Internal error')
}
