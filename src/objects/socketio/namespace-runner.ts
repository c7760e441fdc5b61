import { AppError } from '../../worker/lib/errors'
import { asAppError } from '../channel'
import type { PendingAcks } from './acks'
import type { Adapter } from './adapter'
import { encodeSio, encodeSioEvent, SIO, type EngineFrame, type SioPacket } from './codec'
import type { HostContext } from './context'
import { connectError, errorEvent } from './errors'
import type { AckAsk, NamespaceHandler, NsContext, NsData, NsSocket } from './namespace'
import { namespaceRoute } from './namespaces'
import type { RemoteConnect, RemoteConnectResult, RemoteEventResult, RemoteLeave } from './realtime-types'
import { refKey, sameRef } from './refs'
import type { Membership, SessionState } from './session'
import type { Transport } from './transport'

/** A session's whole state must fit a WebSocket attachment (2 KiB), whatever its transport. */
const STATE_MAX = 2048

/** CONNECT_ERROR of a namespace whose membership would not fit the session's state. */
const FULL = 'Too many namespaces on one connection (its state is full)'

/** The sessions the runner answers to (the engine's). */
export interface RunnerSessions {
  session(eid: string): Transport | undefined
}

/**
 * Socket.IO's `Namespace` + `Socket` side: admits CONNECTs (all or nothing: the namespace limit,
 * the handler's checks, the session's state size — nothing is announced or followed for a
 * refused one), runs the namespace handlers (namespace.ts) for events, acks and leaves, and
 * builds every error event the same way (errors.ts). A namespace owned by this object runs its
 * handler here; one owned by another object is reached by RPC (`sioConnect`, `sioEvent`,
 * `sioLeave`), whose owner side is `remoteConnect` / `remoteEvent` / `remoteLeave`.
 */
export class NamespaceRunner {
  constructor(
    readonly host: HostContext,
    readonly sessions: RunnerSessions,
    readonly adapter: Adapter,
    readonly acks: PendingAcks,
  ) {}

  /** The namespace's route under this deployment's configuration (SOCKETIO_CONFORMANCE). */
  route(nsp: string) {
    return namespaceRoute(nsp, this.host.config.SOCKETIO_CONFORMANCE)
  }

  // ── Packets from this object's sessions ────────────────────────────────────────────────

  /** CONNECTs under way per namespace: a delivery meanwhile must not find the namespace empty. */
  readonly #joining = new Map<string, number>()

  /** How many of this object's sessions are joining `nsp` right now. */
  joining(nsp: string): number {
    return this.#joining.get(nsp) ?? 0
  }

  async connect(session: Transport, nsp: string, auth: Record<string, unknown>): Promise<void> {
    const route = this.route(nsp)
    if (!route) return session.send(connectError(nsp, 'Invalid namespace'))
    this.#joining.set(nsp, this.joining(nsp) + 1)
    try {
      await this.#connect(session, nsp, auth, route)
    } finally {
      const n = this.joining(nsp) - 1
      if (n > 0) this.#joining.set(nsp, n)
      else this.#joining.delete(nsp)
    }
  }

  async #connect(
    session: Transport,
    nsp: string,
    auth: Record<string, unknown>,
    route: NonNullable<ReturnType<typeof namespaceRoute>>,
  ): Promise<void> {
    if (session.state.nsps[nsp]) await this.leave(session, nsp)
    const max = this.host.config.SOCKETIO_MAX_NAMESPACES
    if (Object.keys(session.state.nsps).length >= max)
      return session.send(
        connectError(nsp, `Too many namespaces on one connection (at most ${max})`, { code: 'rate_limited' }),
      )
    const room = STATE_MAX - utf8Length(JSON.stringify(session.state))
    const query = session.state.q ?? {}
    const me = this.host.me()
    const local = !route.owner || sameRef(route.owner, me)
    let result: RemoteConnectResult
    if (local) {
      result = await this.#localConnect(route.handler, nsp, session.eid, auth, query, room, false)
    } else {
      try {
        result = await this.host
          .stub(route.owner!)
          .sioConnect({ to: route.owner!, from: me, eid: session.eid, nsp, auth, query, room })
      } catch (err) {
        this.host.log('error', 'sioConnect', { nsp, error: err })
        result = { ok: false, message: 'Namespace unavailable, retry later' }
      }
    }
    if (!result.ok) return session.send(connectError(nsp, result.message, result.data))
    const follows = local ? await this.adapter.follow(session.eid, nsp, route.handler, result.data) : []
    if (!follows) return session.send(connectError(nsp, 'Namespace unavailable, retry later'))
    const membership: Membership = {
      sid: result.sid,
      d: result.data,
      ...(local ? {} : { r: 1 as const }),
      ...(follows.length ? { f: follows } : {}),
    }
    const current = this.sessions.session(session.eid)
    let saved = false
    if (current) {
      try {
        saveMembership(current, nsp, membership)
        saved = true
      } catch (err) {
        this.host.log('warn', 'connect', { nsp, error: err })
      }
    }
    if (!saved || !current) {
      // Closed meanwhile, or its state grew. Here nothing was announced yet (only followed); an
      // owner elsewhere announced the join, so it hears the leave that pairs it.
      if (local) await this.adapter.unfollow(session.eid, nsp, follows)
      else await this.#leaveNamespace(session.eid, nsp, membership)
      current?.send(connectError(nsp, FULL, { code: 'payload_too_large' }))
      return
    }
    // A handler's `pid` (Socket.IO connection-state recovery) rides in the CONNECT reply.
    const pid = typeof result.data.pid === 'string' ? { pid: result.data.pid } : {}
    current.send(encodeSio({ type: SIO.CONNECT, nsp, data: { sid: result.sid, ...pid } }))
    const frames = local
      ? await this.#run(nsp, session.eid, (c) =>
          route.handler.connected?.(c, { sid: result.sid, eid: session.eid, data: result.data }),
        )
      : result.frames
    if (!frames.length) return
    // The handler's first emits go in a write of their own after the CONNECT answer, as on engine.io.
    await current.apart()
    this.sessions.session(session.eid)?.send(frames)
  }

  /** The client's DISCONNECT of one namespace. */
  async leave(session: Transport, nsp: string): Promise<void> {
    const m = session.state.nsps[nsp]
    if (!m) return
    const nsps = { ...session.state.nsps }
    delete nsps[nsp]
    session.save({ ...session.state, nsps })
    await this.#leaveNamespace(session.eid, nsp, m)
  }

  async event(session: Transport, packet: SioPacket): Promise<void> {
    const nsp = packet.nsp
    const m = session.state.nsps[nsp]
    if (!m) return // Socket.IO servers ignore packets for namespaces the socket has not joined
    const [name, ...args] = packet.data as [string, ...unknown[]]
    let result: RemoteEventResult
    if (m.r) {
      const owner = this.route(nsp)!.owner!
      try {
        result = await this.host.stub(owner).sioEvent({
          to: owner,
          from: this.host.me(),
          eid: session.eid,
          nsp,
          sid: m.sid,
          data: m.d,
          name,
          args,
          ackId: packet.id,
        })
      } catch (err) {
        this.host.log('error', 'sioEvent', { nsp, error: err })
        this.host.failed()
        result = {
          frames: errorEvent(
            nsp,
            new AppError('upstream_unavailable', 'Namespace unavailable, retry'),
            packet.id,
          ),
        }
      }
    } else {
      result = await this.#localEvent(nsp, session.eid, m, name, args, packet.id)
    }
    const current = this.sessions.session(session.eid)
    if (!current) return
    if (result.data && current.state.nsps[nsp])
      saveMembership(current, nsp, { ...current.state.nsps[nsp], d: result.data })
    current.send(result.frames)
  }

  /** A client's ACK (or BINARY_ACK, attachments already in place) to an event the server sent. */
  async ack(session: Transport, packet: SioPacket): Promise<void> {
    const { nsp, id } = packet
    const m = session.state.nsps[nsp]
    const ask = m && id !== undefined ? this.acks.take(session.eid, nsp, id) : undefined
    if (!m || !ask) {
      const what = id === undefined ? 'ACK without an id' : `Unknown or expired ack id ${id}`
      return session.send(errorEvent(nsp, { code: 'bad_request', message: what }))
    }
    const handler = this.route(nsp)!.handler
    const sock: NsSocket = { sid: m.sid, eid: session.eid, data: m.d }
    let frames: EngineFrame[]
    try {
      frames = await this.#run(
        nsp,
        session.eid,
        (c) => handler.acked?.(c, sock, ask, packet.data as unknown[]),
        true,
      )
    } catch (err) {
      this.host.failed()
      frames = errorEvent(nsp, asAppError(err))
    }
    this.sessions.session(session.eid)?.send(frames)
  }

  /** The session ended: every namespace it joined says goodbye (owner handlers run their disconnect). */
  async ended(eid: string, state: SessionState): Promise<void> {
    this.acks.drop(eid)
    for (const [nsp, m] of Object.entries(state.nsps)) await this.#leaveNamespace(eid, nsp, m)
  }

  // ── Owner side, for sockets other objects hold ─────────────────────────────────────────

  /** A socket held by another object joins a namespace this object owns. */
  async remoteConnect(req: RemoteConnect): Promise<RemoteConnectResult> {
    const route = this.route(req.nsp)
    if (!route) return { ok: false, message: 'Invalid namespace' }
    const result = await this.#localConnect(
      route.handler,
      req.nsp,
      req.eid,
      req.auth,
      req.query,
      req.room ?? STATE_MAX,
      true,
    )
    if (!result.ok) return result
    this.adapter.addFollower(req)
    const frames = await this.#run(req.nsp, req.eid, (c) =>
      route.handler.connected?.(c, { sid: result.sid, eid: req.eid, data: result.data }),
    )
    return { ...result, frames }
  }

  /** An event from a socket another object holds, for a namespace this object owns. */
  async remoteEvent(req: {
    nsp: string
    eid: string
    sid: string
    data: NsData
    name: string
    args: unknown[]
    ackId?: number
  }): Promise<RemoteEventResult> {
    if (!this.route(req.nsp)) return { frames: [] }
    return this.#localEvent(req.nsp, req.eid, { sid: req.sid, d: req.data }, req.name, req.args, req.ackId)
  }

  /** A socket another object holds left a namespace this object owns. */
  async remoteLeave(req: RemoteLeave): Promise<void> {
    this.adapter.removeFollower(req)
    await this.#leaveNamespace(req.eid, req.nsp, { sid: req.sid, d: req.data })
  }

  // ── Running handlers ───────────────────────────────────────────────────────────────────

  async #leaveNamespace(eid: string, nsp: string, m: Membership): Promise<void> {
    const route = this.route(nsp)
    if (!route) return
    this.acks.drop(eid, nsp)
    if (m.f) await this.adapter.unfollow(eid, nsp, m.f)
    try {
      if (m.r && route.owner) {
        await this.host.stub(route.owner).sioLeave({
          to: route.owner,
          from: this.host.me(),
          eid,
          nsp,
          sid: m.sid,
          data: m.d,
        })
      } else {
        await this.#run(nsp, eid, (c) => route.handler.disconnect?.(c, { sid: m.sid, eid, data: m.d }))
      }
    } catch (err) {
      this.host.log('error', 'leave', { nsp, error: err })
    }
  }

  /**
   * Runs the handler's `connect` here. `room`: bytes left in the holding session's state; a
   * membership that would not fit is refused before anything is announced or followed.
   */
  async #localConnect(
    handler: NamespaceHandler,
    nsp: string,
    eid: string,
    auth: Record<string, unknown>,
    query: Record<string, string>,
    room: number,
    remote: boolean,
  ): Promise<RemoteConnectResult> {
    const sid = crypto.randomUUID().replace(/-/g, '').slice(0, 20)
    let data: NsData = {}
    try {
      await this.#run(
        nsp,
        eid,
        async (c) => {
          data = await handler.connect(c, { sid, eid }, auth, query)
        },
        true,
      )
    } catch (err) {
      const e = asAppError(err)
      return { ok: false, message: e.message, data: { code: e.code } }
    }
    const follows = (handler.follows?.(data) ?? []).map(refKey)
    const m: Membership = {
      sid,
      d: data,
      ...(remote ? { r: 1 as const } : {}),
      ...(follows.length ? { f: follows } : {}),
    }
    if (utf8Length(JSON.stringify({ [nsp]: m })) + 1 > room)
      return { ok: false, message: FULL, data: { code: 'payload_too_large' } }
    return { ok: true, sid, data, frames: [] }
  }

  async #localEvent(
    nsp: string,
    eid: string,
    m: Membership,
    name: string,
    args: unknown[],
    ackId: number | undefined,
  ): Promise<RemoteEventResult> {
    const handler = this.route(nsp)!.handler
    const sock: NsSocket = { sid: m.sid, eid, data: m.d }
    let ackArgs: unknown[] | void = undefined
    try {
      const frames = await this.#run(
        nsp,
        eid,
        async (c) => {
          ackArgs = await handler.event(c, sock, name, args)
        },
        true,
      )
      if (ackId !== undefined)
        frames.push(...encodeSio({ type: SIO.ACK, nsp, id: ackId, data: ackArgs ?? [] }))
      return { frames, data: sock.data !== m.d ? sock.data : undefined }
    } catch (err) {
      const e = asAppError(err)
      if (e.code === 'internal_error')
        this.host.log('error', 'event', { nsp, name, error: err, stack: (err as Error)?.stack })
      this.host.failed()
      return { frames: errorEvent(nsp, e, ackId) }
    }
  }

  /**
   * Runs handler code with a context for `nsp`; returns the frames it emitted to the calling
   * socket. With `rethrow`, handler errors propagate; otherwise they are logged.
   */
  async #run(
    nsp: string,
    eid: string,
    fn: (c: NsContext) => unknown,
    rethrow = false,
  ): Promise<EngineFrame[]> {
    const c = new HandlerContext(this, nsp, eid)
    try {
      await fn(c)
    } catch (err) {
      if (rethrow) throw err
      this.host.log('error', 'handler', { nsp, error: err })
    }
    return c.frames
  }
}

/**
 * What a handler's `c` is for one packet: one object per event, its methods on the prototype
 * (a broadcast's hot path made six closures per message before).
 */
class HandlerContext implements NsContext {
  /** The frames the handler emitted to the calling socket. */
  readonly frames: EngineFrame[] = []
  constructor(
    private readonly runner: NamespaceRunner,
    readonly nsp: string,
    private readonly eid: string,
  ) {}
  get env() {
    return this.runner.host.env
  }
  get config() {
    return this.runner.host.config
  }
  get ctx() {
    return this.runner.host.ctx
  }
  broadcast(event: string, args: unknown[], opts?: { except?: string }): void {
    this.runner.adapter.broadcastEvent(this.nsp, event, args, opts?.except)
  }
  emit(event: string, ...args: unknown[]): void {
    this.frames.push(...encodeSio({ type: SIO.EVENT, nsp: this.nsp, data: [event, ...args] }))
  }
  broadcastJson(json: string, opts?: { except?: string }): void {
    this.runner.adapter.broadcastJson(this.nsp, json, opts?.except)
  }
  emitJson(json: string): void {
    this.frames.push(encodeSioEvent(this.nsp, json))
  }
  emitWithAck(event: string, args: unknown[], ask: AckAsk): void {
    if (!this.runner.sessions.session(this.eid))
      throw new AppError('internal_error', `emitWithAck: ${this.eid} is not held here`)
    this.frames.push(...this.runner.adapter.ask(this.nsp, [this.eid], event, args, ask))
  }
}

function saveMembership(session: Transport, nsp: string, m: Membership): void {
  session.save({ ...session.state, nsps: { ...session.state.nsps, [nsp]: m } })
}

const encoder = new TextEncoder()
const utf8Length = (text: string) => encoder.encode(text).length
