import { loadConfig, type Config } from '../../worker/config'
import type { Env } from '../../worker/env'
import type { ErrorCode } from '../../worker/lib/errors'
import type { AuthIdentity } from '../../worker/lib/identity'
import { Channel, type ChannelLimits, type Connection, type Refusal } from '../channel'
import { PendingAcks } from './acks'
import type { AdminSession } from './admin-namespace'
import { Adapter, type SioDelivery } from './adapter'
import { SioClient } from './client'
import type { HostContext } from './context'
import { Engine } from './engine'
import { errorEvent } from './errors'
import { HandOff, type HandedOver } from './handoff'
import type { AckAsk } from './namespace'
import { NamespaceRunner } from './namespace-runner'
import type {
  RemoteConnect,
  RemoteConnectResult,
  RemoteEvent,
  RemoteEventResult,
  RemoteFollow,
  RemoteLeave,
} from './realtime-types'
import { hostStub, refKey, type HostKind, type HostStub, type ObjectRef } from './refs'
import type { SessionState } from './session'

/**
 * A Durable Object that speaks Socket.IO v5 over Engine.IO v4, in the layers socket.io itself
 * has: the engine (engine.ts: handshake, WebSocket and long-polling transports, the upgrade,
 * heartbeat and timeouts), the client (client.ts: packets, attachments, routing), the namespace
 * runner (namespace-runner.ts: CONNECT admission, handlers, acks, error events) and the adapter
 * (adapter.ts: broadcasts here and to following objects). This class holds only the object's
 * entry points (Channel's WebSocket hooks, HTTP, the alarm) and the RPCs other objects call.
 */
export abstract class SocketIoHost extends Channel<Env, SessionState> {
  readonly #engine: Engine
  readonly #client: SioClient
  readonly #runner: NamespaceRunner
  readonly #adapter: Adapter
  readonly #handOff: HandOff
  /** Acknowledgements this object asked its sockets for (durable). */
  readonly #acks: PendingAcks
  #stubs = new Map<string, HostStub>()
  #limits: ChannelLimits | undefined

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    // Pongs reach the object (no auto-response: Engine.IO clients expect nothing back after a pong).
    ctx.setWebSocketAutoResponse()
    this.#acks = new PendingAcks(ctx.storage.sql)
    const self = this
    const host: HostContext = {
      ctx,
      env,
      get config() {
        return self.config
      },
      me: () => this.#me(),
      stub: (ref) => this.#stub(ref),
      log: (level, where, fields) => this.log(level, where, fields),
      failed: () => this.metrics?.error(),
    }
    this.#engine = new Engine(
      host,
      {
        send: (conn, frame) => this.sendTo(conn, frame),
        save: (conn, state) => this.saveState(conn, state),
        message: (session, data) => this.#client.message(session, data),
        ended: async (eid, state) => {
          this.#client.ended(eid)
          await this.#runner.ended(eid, state)
        },
        admitMessage: (eid, frame) => this.admitMessage(eid, frame),
        refused: (session, frame, refused) => {
          this.metrics?.error()
          this.#client.refuse(session, frame, refused)
        },
        admitConnection: () => this.admitConnection(),
        disconnect: (conn, code, reason) => this.disconnect(conn, code, reason),
        handOff: {
          begin: (home, eid) => this.#handOff.begin(home, eid),
          probed: (session) => this.#handOff.probed(session),
          failed: (session) => this.#handOff.failed(session),
          upgrade: (session) => this.#handOff.upgrade(session),
        },
        nextDeadline: () => this.#acks.nextExpiry() ?? Infinity,
        setAlarmAt: (at) => this.setAlarmAt(at),
      },
      this.connections(),
    )
    this.#adapter = new Adapter(host, this.#engine, this.#acks, (at) => this.scheduleAlarm(at))
    this.#runner = new NamespaceRunner(host, this.#engine, this.#adapter, this.#acks)
    this.#client = new SioClient(host, this.#engine, this.#runner)
    this.#handOff = new HandOff(
      host,
      this.#engine,
      this.#adapter,
      this.#acks,
      (nsp) => this.#runner.route(nsp),
      (eid) => this.#client.connecting(eid),
    )
  }

  /** Which kind of object this is (with its name, how other objects and session ids reach it). */
  protected abstract readonly kind: HostKind

  /**
   * Whether this object keeps nothing once it holds no session and owes no ack: a home object,
   * which keeps nothing for sessions to come (false by default).
   */
  protected ephemeral(): boolean {
    return false
  }

  protected get config(): Config {
    return loadConfig(this.env)
  }

  #me(): ObjectRef {
    return { kind: this.kind, name: this.name }
  }

  #stub(ref: ObjectRef): HostStub {
    const key = refKey(ref)
    let stub = this.#stubs.get(key)
    if (!stub) this.#stubs.set(key, (stub = hostStub(this.env, ref)))
    return stub
  }

  // ── Channel entry points ───────────────────────────────────────────────────────────────

  protected limits(): ChannelLimits {
    // Read once per object instance: configuration only changes with a new deployment.
    if (this.#limits) return this.#limits
    const c = this.config
    return (this.#limits = {
      maxConnections: c.MAX_CONNECTIONS_PER_ROOM,
      maxMessageBytes: c.SOCKETIO_MAX_PAYLOAD,
      messagesPer10s: c.MESSAGES_PER_10S,
    })
  }

  /** Errors Channel reports itself become an `error` event on the connection's first namespace. */
  protected errorFrame(
    code: ErrorCode,
    message: string,
    extra?: Record<string, unknown>,
    conn?: Connection<SessionState>,
  ): string {
    const nsp = conn ? (Object.keys(conn.state.nsps)[0] ?? '/') : '/'
    return errorEvent(nsp, { code, message, ...extra })[0] as string
  }

  protected onRefused(conn: Connection<SessionState>, message: string | ArrayBuffer, refused: Refusal): void {
    const session = this.#engine.session(conn.state.eid)
    this.metrics?.error()
    if (session) this.#client.refuse(session, message, refused)
  }

  protected countsAsNew(request: Request): boolean {
    return this.#engine.isNewSession(request)
  }

  /** Long-polling sessions count toward the connection limit like WebSockets. */
  protected heldElsewhere(): number {
    return this.#engine.pollingCount
  }

  /** A session's messages count against one rate bucket, whichever transport carries them. */
  protected rateKey(conn: Connection<SessionState>): string {
    return conn.state.eid
  }

  override async fetch(request: Request): Promise<Response> {
    return this.#engine.checkUpgrade(request) ?? super.fetch(request)
  }

  protected onBeforeConnect(
    request: Request,
    _user: AuthIdentity | undefined,
  ): Promise<Omit<SessionState, 'id' | 'connectedAt'>> {
    return this.#engine.webSocketState(request)
  }

  protected onConnect(conn: Connection<SessionState>): void {
    this.#engine.webSocketOpened(conn)
  }

  protected async onMessage(conn: Connection<SessionState>, message: string | ArrayBuffer): Promise<void> {
    await this.#engine.webSocketMessage(conn, message)
  }

  protected async onClose(conn: Connection<SessionState>): Promise<void> {
    await this.#engine.webSocketClosed(conn)
  }

  /** HTTP long-polling (Engine.IO's polling transport). */
  protected onRequest(request: Request): Promise<Response> {
    return this.#engine.pollingRequest(request)
  }

  /**
   * The end of every event: an ephemeral object left with no session and no pending ack sends
   * its last metrics report and erases its storage (an empty home keeps nothing); any other
   * reports metrics if due.
   */
  protected override settled(): void {
    if (!this.ephemeral() || this.held > 0 || this.#acks.nextExpiry() !== undefined) return super.settled()
    this.reportLastMetrics()
    this.ctx.waitUntil(this.eraseStorage().catch((err) => this.log('error', 'eraseStorage', { error: err })))
  }

  /** WebSocket deadlines and pings, expired acks, then the next alarm. */
  protected async onAlarm(): Promise<void> {
    this.#engine.alarm()
    this.#acks.expire()
    this.#engine.rearm()
  }

  /** The Socket.IO sessions this object holds, for the admin UI (admin-namespace.ts). */
  adminSessions(): AdminSession[] {
    return [...this.#engine.receivers()].map((s) => ({
      eid: s.eid,
      transport: s.transport,
      state: s.state,
      send: (frames) => s.send(frames),
      leave: (nsp) => this.#runner.leave(s, nsp),
      close: () => this.#engine.close(s, 'closed by an admin'),
      setRooms: (nsp, rooms) => {
        const m = s.state.nsps[nsp]
        if (!m) return
        const { j: _old, ...rest } = m
        s.save({ ...s.state, nsps: { ...s.state.nsps, [nsp]: rooms.length ? { ...rest, j: rooms } : rest } })
      },
    }))
  }

  // ── Broadcasting, for subclasses ───────────────────────────────────────────────────────

  /** Emits `event` to every socket of `nsp`, here and in following objects (encoded once). */
  protected broadcastEvent(
    nsp: string,
    event: string,
    args: unknown[],
    except?: string,
    ask?: AckAsk,
  ): number {
    return this.#adapter.broadcastEvent(nsp, event, args, except, ask)
  }

  /** `broadcastEvent` of an `[event, ...args]` array the caller already JSON-encoded (no binary). */
  protected broadcastJson(nsp: string, json: string, except?: string): number {
    return this.#adapter.broadcastJson(nsp, json, except)
  }

  // ── RPC: owner side (called by objects that hold the sockets) ─────────────────────────

  /** A socket held by another object joins a namespace this object owns. */
  async sioConnect(req: RemoteConnect): Promise<RemoteConnectResult> {
    return this.#runner.remoteConnect(req)
  }

  /** An event from a socket another object holds, for a namespace this object owns. */
  async sioEvent(req: RemoteEvent): Promise<RemoteEventResult> {
    return this.#runner.remoteEvent(req)
  }

  /** A socket another object holds left a namespace this object owns. */
  async sioLeave(req: RemoteLeave): Promise<void> {
    await this.#runner.remoteLeave(req)
  }

  /** A socket another object holds receives this object's events on `nsp` from now on. */
  async sioFollow(req: RemoteFollow): Promise<void> {
    this.#adapter.addFollower(req)
  }

  /** The socket stopped following (it left the namespace or closed). */
  async sioUnfollow(req: RemoteFollow): Promise<void> {
    this.#adapter.removeFollower(req)
  }

  // ── RPC: a session moving to its room's object at the upgrade (handoff.ts) ────────────

  /** The Worker asks where a WebSocket for session `eid` (held here, polling) should go. */
  async sioUpgradeTarget(eid: string): Promise<ObjectRef | null> {
    return (await this.#handOff.upgradeTarget(eid)) ?? null
  }

  /** Object `to` opened an upgrade probe for session `eid`: whether it may go on. */
  async sioHandOffStart(eid: string, to: ObjectRef): Promise<boolean> {
    return this.#handOff.start(eid, to)
  }

  /** The probe answered `3probe` (`probe`), or failed (`fail`). */
  async sioHandOffStep(eid: string, input: 'probe' | 'fail'): Promise<void> {
    this.#handOff.step(eid, input)
  }

  /** The session's state once probed (its namespaces, handshake query). */
  async sioHandOffState(eid: string): Promise<SessionState | null> {
    return this.#handOff.state(eid) ?? null
  }

  /** The client's `5` reached the new object: the session leaves this one, with its queue and pending acks. */
  async sioHandOffFinish(eid: string): Promise<HandedOver | null> {
    const moved = this.#handOff.finish(eid) ?? null
    this.settled()
    return moved
  }

  // ── RPC: follower side (called by owners) ──────────────────────────────────────────────

  /**
   * One turn's broadcasts from `source` (a refKey) for this object's sockets in `nsp`, in order;
   * answers how many sockets here still subscribe (0: the source stops sending here).
   */
  async sioDeliver(source: string, nsp: string, items: SioDelivery[]): Promise<number> {
    return this.#adapter.deliver(source, nsp, items, this.#runner.joining(nsp))
  }

  /**
   * Emits an event to a namespace this object owns or feeds, from outside any socket (REST,
   * webhooks, cron, other objects); with `ack`, each socket is asked to acknowledge it and the
   * namespace's `acked` hook runs for each ACK. See src/worker/services/realtime.ts.
   */
  async publish(nsp: string, event: string, args: unknown[], ack?: AckAsk): Promise<number> {
    return this.broadcastEvent(nsp, event, args, undefined, ack)
  }
}
