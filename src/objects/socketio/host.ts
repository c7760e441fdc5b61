import { loadConfig, type Config } from '../../worker/config'
import type { Env } from '../../worker/env'
import { AppError, type ErrorCode } from '../../worker/lib/errors'
import type { AuthIdentity } from '../../worker/lib/identity'
import { asAppError, Channel, type ChannelLimits, type Connection, type Refusal } from '../channel'
import {
  CodecError,
  decodePayload,
  decodeSio,
  EIO,
  encodeSio,
  encodeSioEvent,
  openPacket,
  reconstruct,
  SIO,
  type EngineFrame,
  type SioPacket,
} from './codec'
import { PendingAcks } from './acks'
import type { AckAsk, NamespaceHandler, NsContext, NsData, NsSocket } from './namespace'
import { namespaceRoute } from './namespaces'
import { engineError, PollSession, type PollTimers } from './polling'
import type {
  RemoteConnect,
  RemoteConnectResult,
  RemoteEvent,
  RemoteEventResult,
  RemoteFollow,
  RemoteLeave,
} from './realtime-types'
import {
  hostStub,
  newEngineSid,
  refFromKey,
  refKey,
  sameRef,
  type HostKind,
  type HostStub,
  type ObjectRef,
} from './refs'
import type { Membership, SessionState } from './session'

/** A Socket.IO event or ack packet's namespace (`/nsp,`) and ack id, read without decoding it. */
const PACKET_REF = /^4[2356](?:\d+-)?(\/[^,]{0,200},)?(\d{1,16})?/

/** Handshake query parameters a session keeps for its namespaces' CONNECT checks. */
const KEPT_QUERY = ['token', 'room', 'taskId', 'task_id']

/** How long a WebSocket probe may take to complete an upgrade (socket.io's upgradeTimeout). */
const UPGRADE_TIMEOUT = 10_000

/** A session's whole state must fit a WebSocket attachment (2 KiB), whatever its transport. */
const STATE_MAX = 2048

/** CONNECT_ERROR of a namespace whose membership would not fit the session's state. */
const FULL = 'Too many namespaces on one connection (its state is full)'

/** Storage key of the recent ping rounds' times (so pong deadlines survive hibernation). */
const PINGS_KEY = 'sio:pings'

type Session = PollSession | WsSession

/** A WebSocket-transport session: a Channel connection and its attachment. */
class WsSession {
  readonly transport = 'websocket'
  constructor(
    readonly conn: Connection<SessionState>,
    readonly host: SocketIoHost,
  ) {}
  get eid() {
    return this.conn.state.eid
  }
  get state() {
    return this.conn.state
  }
  send(frames: EngineFrame[]): void {
    for (const f of frames) this.host.sendFrame(this.conn, f)
  }
}

/**
 * A Durable Object that speaks Engine.IO v4 / Socket.IO v5: it holds sessions (WebSocket,
 * hibernatable; long-polling, in memory; the upgrade from one to the other), owns some
 * namespaces (it runs their handlers) and follows others (it forwards its sockets' packets to
 * the owner, which delivers each broadcast once per following object). WebSocket pings come from
 * one alarm for all sockets, and their pongs arrive while the object is still awake from it, so
 * idle objects hibernate between pings; a pong's time is kept in the socket's attachment, so a
 * deadline checked after a hibernation still knows it. Long-polling sessions keep their own timers.
 */
export abstract class SocketIoHost extends Channel<Env, SessionState> {
  #ws = new Map<string, WsSession>()
  #polls = new Map<string, PollSession>()
  /** Binary packets waiting for their attachments, by engine session id. */
  #partial = new Map<string, { packet: SioPacket; buffers: ArrayBuffer[]; bytes: number }>()
  /** Objects following each namespace this object owns (loaded lazily from storage). */
  #followers = new Map<string, Map<string, ObjectRef>>()
  #stubs = new Map<string, HostStub>()
  #limits: ChannelLimits | undefined
  /** Acknowledgements this object asked its sockets for (durable). */
  #acks: PendingAcks
  /** WebSocket sessions pinged in the round at `#awaitingRound` that have not answered yet. */
  #awaiting = new Set<string>()
  #awaitingRound: number | undefined
  /** Recent ping rounds (epoch ms), oldest first; mirrored in storage. */
  #pingTimes: number[] | undefined
  /** The CONNECT each session is running (they run one at a time). */
  #connecting = new Map<string, Promise<void>>()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    // Pongs reach the object (no auto-response: Engine.IO clients expect nothing back after a pong).
    ctx.setWebSocketAutoResponse()
    for (const conn of this.connections()) this.#ws.set(conn.state.eid, new WsSession(conn, this))
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS sio_followers (
        nsp TEXT NOT NULL, eid TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        PRIMARY KEY (nsp, eid))`,
    )
    this.#acks = new PendingAcks(ctx.storage.sql)
  }

  /** Which kind of object this is (with its name, how other objects and session ids reach it). */
  protected abstract readonly kind: HostKind

  protected get config(): Config {
    return loadConfig(this.env)
  }

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

  /** Limit errors become an `error` event on every namespace the connection joined. */
  protected errorFrame(
    code: ErrorCode,
    message: string,
    extra?: Record<string, unknown>,
    conn?: Connection<SessionState>,
  ): string {
    const nsp = conn ? (Object.keys(conn.state.nsps)[0] ?? '/') : '/'
    return encodeSio({ type: SIO.EVENT, nsp, data: ['error', { code, message, ...extra }] })[0] as string
  }

  /** Sends one frame to a connection (used by sessions). */
  sendFrame(conn: Connection<SessionState>, frame: EngineFrame): void {
    this.sendTo(conn, frame)
  }

  // ── Transports ─────────────────────────────────────────────────────────────────────────

  protected onRefused(conn: Connection<SessionState>, message: string | ArrayBuffer, refused: Refusal): void {
    const session = this.#ws.get(conn.state.eid)
    if (session) this.#refuse(session, message, refused)
  }

  /**
   * A packet the limits refused: an error event on its namespace and, when it asked for an ack,
   * the ack `{error}` — so that an `emitWithAck` learns its fate instead of timing out.
   */
  #refuse(session: Session, frame: EngineFrame, refused: Refusal): void {
    const ref = typeof frame === 'string' ? PACKET_REF.exec(frame) : null
    const nsp = ref?.[1] ? ref[1].slice(0, -1) : ref ? '/' : firstNsp(session.state)
    const id = ref?.[2] ? Number(ref[2]) : undefined
    session.send(
      this.#failure(
        nsp,
        Number.isSafeInteger(id) ? id : undefined,
        new AppError(refused.code, refused.message),
      ),
    )
  }

  /** Only a new session counts against the connection limit, not a WebSocket upgrading one. */
  protected countsAsNew(request: Request): boolean {
    return !new URL(request.url).searchParams.get('sid')
  }

  /** Long-polling sessions count toward the connection limit like WebSockets. */
  protected heldElsewhere(): number {
    return this.#polls.size
  }

  /** A session's messages count against one rate bucket, whichever transport carries them. */
  protected rateKey(conn: Connection<SessionState>): string {
    return conn.state.eid
  }

  protected onBeforeConnect(
    request: Request,
    _user: AuthIdentity | undefined,
  ): Omit<SessionState, 'id' | 'connectedAt'> {
    const url = new URL(request.url)
    const sid = url.searchParams.get('sid')
    if (!sid) return { eid: newEngineSid(this.#me()), nsps: {}, ...keptQuery(url) }
    const poll = this.#polls.get(sid)
    if (!poll || this.#ws.has(sid)) throw new AppError('bad_request', 'Session ID unknown')
    return {
      eid: sid,
      nsps: { ...poll.state.nsps },
      ...(poll.state.q ? { q: poll.state.q } : {}),
      probing: 1,
    }
  }

  /**
   * A WebSocket naming a session (`sid`) upgrades a polling session: an unknown id gets Engine.IO's
   * 400, and one that is already upgraded or being probed is accepted and closed, as socket.io does.
   */
  override async fetch(request: Request): Promise<Response> {
    const sid = new URL(request.url).searchParams.get('sid')
    if (sid && request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      if (this.#ws.has(sid)) return closedWebSocket('Session already upgraded')
      if (!this.#polls.has(sid)) return engineError(400, 1, 'Session ID unknown')
    }
    return super.fetch(request)
  }

  protected onConnect(conn: Connection<SessionState>): void {
    const session = new WsSession(conn, this)
    this.#ws.set(conn.state.eid, session)
    if (!conn.state.probing) session.send([this.#openPacket(conn.state.eid, [])])
    this.#rearm()
  }

  protected async onMessage(conn: Connection<SessionState>, message: string | ArrayBuffer): Promise<void> {
    const session = this.#ws.get(conn.state.eid)
    if (!session) return
    if (conn.state.probing) return this.#onProbeFrame(session, message)
    await this.#onFrame(session, message)
  }

  protected async onClose(conn: Connection<SessionState>): Promise<void> {
    const session = this.#ws.get(conn.state.eid)
    if (session?.conn.ws === conn.ws) this.#ws.delete(conn.state.eid)
    this.#awaiting.delete(conn.state.eid)
    // A failed upgrade probe leaves the polling session in charge.
    if (conn.state.probing && this.#polls.has(conn.state.eid)) return
    await this.#endSession(conn.state.eid, conn.state)
  }

  /** HTTP long-polling: GET opens a session or waits for packets; POST carries client packets. */
  protected async onRequest(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const sid = url.searchParams.get('sid')
    if (!sid) {
      if (request.method !== 'GET') return engineError(400, 3, 'Bad handshake method')
      try {
        this.admitConnection()
      } catch (err) {
        const e = asAppError(err)
        return Response.json({ type: 'error', code: e.code, message: e.message }, { status: e.status })
      }
      const eid = newEngineSid(this.#me())
      const state: SessionState = { id: eid, connectedAt: Date.now(), eid, nsps: {}, ...keptQuery(url) }
      const session = new PollSession(eid, state, this.#pollTimers())
      this.#polls.set(eid, session)
      session.send([this.#openPacket(eid, ['websocket'])])
      return session.poll()
    }
    const session = this.#polls.get(sid)
    if (!session) return engineError(400, 1, 'Session ID unknown')
    if (session.expired()) {
      await this.#closePoll(session, EIO.close)
      return engineError(400, 1, 'Session ID unknown')
    }
    if (request.method === 'GET') {
      if (!session.waiting) return session.poll()
      // Two GETs at once: Engine.IO closes the session (the waiting GET gets a noop).
      await this.#closePoll(session, EIO.noop)
      return engineError(400, 3, 'Overlapping GET requests')
    }
    if (request.method !== 'POST') return engineError(400, 3, 'Bad request method')
    const body = await request.text()
    if (body.length > this.config.SOCKETIO_MAX_PAYLOAD) return engineError(413, 3, 'Payload too large')
    let frames: EngineFrame[]
    try {
      frames = decodePayload(body)
    } catch {
      await this.#closePoll(session, EIO.close)
      return engineError(400, 3, 'Malformed payload')
    }
    // Each packet passes the same per-message limits as a WebSocket frame does.
    for (const frame of frames) {
      if (session.closed) break
      const counted = typeof frame !== 'string' || frame.charAt(0) === EIO.message
      const refused = counted ? this.admitMessage(sid, frame) : undefined
      if (refused) this.#refuse(session, frame, refused)
      else await this.#onFrame(session, frame)
    }
    return new Response('ok', { headers: { 'content-type': 'text/html' } })
  }

  #pollTimers(): PollTimers {
    const c = this.config
    return {
      pingInterval: c.SOCKETIO_PING_INTERVAL,
      pingTimeout: c.SOCKETIO_PING_TIMEOUT,
      connectTimeout: c.SOCKETIO_CONNECT_TIMEOUT,
      expire: (session, reason) => {
        this.log('info', 'poll', { eid: session.eid, closed: reason })
        this.ctx.waitUntil(this.#closePoll(session, EIO.close))
      },
    }
  }

  /** Ends a polling session: a waiting GET gets `packet` (or `answer`), its namespaces say goodbye. */
  async #closePoll(session: PollSession, packet: string, answer?: Response): Promise<void> {
    if (session.closed) return
    this.#polls.delete(session.eid)
    session.close(packet, answer)
    await this.#endSession(session.eid, session.state)
  }

  /**
   * A packet the protocol does not allow (unknown type, malformed payload, bad ack id, too many
   * attachments…): like socket.io, the connection is closed.
   */
  async #protocolError(session: Session, why: string): Promise<void> {
    this.log('info', 'protocol', { eid: session.eid, error: why })
    if (session instanceof WsSession) return this.disconnect(session.conn, 1002, why.slice(0, 100))
    await this.#closePoll(session, EIO.close)
  }

  #openPacket(eid: string, upgrades: string[]): string {
    const c = this.config
    return openPacket({
      sid: eid,
      upgrades,
      pingInterval: c.SOCKETIO_PING_INTERVAL,
      pingTimeout: c.SOCKETIO_PING_TIMEOUT,
      maxPayload: c.SOCKETIO_MAX_PAYLOAD,
    })
  }

  /**
   * Frames on a WebSocket that is probing an upgrade: `2probe` → `3probe` (the polling session
   * then releases its GETs with noops), then `5` moves the session onto the WebSocket. Anything
   * else closes the probe; the polling session goes on.
   */
  #onProbeFrame(session: WsSession, frame: string | ArrayBuffer): void {
    const poll = this.#polls.get(session.eid)
    if (!poll) return this.disconnect(session.conn, 1011, 'session gone')
    if (frame === EIO.ping + 'probe') {
      session.send([EIO.pong + 'probe'])
      poll.probe()
      return
    }
    if (frame !== EIO.upgrade || !poll.probed) return this.disconnect(session.conn, 1002, 'bad upgrade')
    const state: SessionState = { ...session.state, nsps: poll.state.nsps, q: poll.state.q }
    delete state.probing
    this.saveState(session.conn, state)
    const pending = poll.drain()
    this.#polls.delete(session.eid)
    // The client paused polling before its `5`; a GET still waiting is not from it.
    poll.close(EIO.noop, engineError(400, 3, 'Session upgraded to websocket'))
    session.send(pending)
    this.#rearm()
  }

  // ── Engine.IO and Socket.IO packets ────────────────────────────────────────────────────

  async #onFrame(session: Session, frame: EngineFrame): Promise<void> {
    if (typeof frame !== 'string') return this.#onAttachment(session, frame)
    switch (frame.charAt(0)) {
      case EIO.message:
        return this.#onPacket(session, frame.slice(1))
      case EIO.close:
        return this.#close(session)
      case EIO.pong:
        return this.#onPong(session)
      case EIO.noop:
        return
      default:
        // Includes `2`: Engine.IO v4 clients never ping (socket.io: "invalid heartbeat direction").
        return this.#protocolError(session, `Unexpected Engine.IO packet type "${frame.charAt(0)}"`)
    }
  }

  /** A pong: the session is alive; WebSocket pongs are recorded in the attachment (survives hibernation). */
  #onPong(session: Session): void {
    if (!(session instanceof WsSession)) return session.pong()
    try {
      this.saveState(session.conn, { ...session.state, pong: Date.now() })
    } catch {
      /* a full attachment keeps its previous pong: the deadline then closes it, as for a silent client */
    }
    if (this.#awaiting.delete(session.eid) && !this.#awaiting.size) this.#rearm()
  }

  async #onPacket(session: Session, text: string): Promise<void> {
    let packet: SioPacket
    try {
      packet = decodeSio(text)
    } catch (err) {
      const msg = err instanceof CodecError ? err.message : 'malformed packet'
      return this.#protocolError(session, `Malformed Socket.IO packet: ${msg}`)
    }
    if (packet.attachments !== undefined) {
      if (packet.attachments > this.config.SOCKETIO_MAX_ATTACHMENTS)
        return this.#protocolError(session, `More than ${this.config.SOCKETIO_MAX_ATTACHMENTS} attachments`)
      this.#partial.set(session.eid, { packet, buffers: [], bytes: text.length })
      if (packet.attachments > 0) return
      return this.#onAttachment(session)
    }
    await this.#dispatch(session, packet)
  }

  /** One binary attachment (none: a binary packet that announced zero); the packet runs once all came. */
  async #onAttachment(session: Session, buffer?: ArrayBuffer): Promise<void> {
    const partial = this.#partial.get(session.eid)
    if (!partial) return this.#protocolError(session, 'Unexpected binary frame')
    if (buffer) {
      partial.buffers.push(buffer)
      partial.bytes += buffer.byteLength
      if (partial.bytes > this.config.SOCKETIO_MAX_PAYLOAD) {
        this.#partial.delete(session.eid)
        return this.#protocolError(session, `Packet exceeds ${this.config.SOCKETIO_MAX_PAYLOAD} bytes`)
      }
    }
    if (partial.buffers.length < (partial.packet.attachments ?? 0)) return
    this.#partial.delete(session.eid)
    const packet = partial.packet
    try {
      packet.data = reconstruct(packet.data, partial.buffers)
    } catch (err) {
      return this.#protocolError(session, (err as Error).message)
    }
    packet.type = packet.type === SIO.BINARY_EVENT ? SIO.EVENT : SIO.ACK
    await this.#dispatch(session, packet)
  }

  async #dispatch(session: Session, packet: SioPacket): Promise<void> {
    switch (packet.type) {
      case SIO.CONNECT:
        return this.#serialConnect(session, packet.nsp, (packet.data as Record<string, unknown>) ?? {})
      case SIO.DISCONNECT:
        return this.#leave(session, packet.nsp)
      case SIO.EVENT:
        return this.#event(session, packet)
      case SIO.ACK:
        return this.#onAck(session, packet)
      default:
        session.send(this.#errorFrames(packet.nsp, 'bad_request', 'Clients may not send CONNECT_ERROR'))
    }
  }

  /**
   * One session's CONNECTs run one after another, so each is admitted against the state the
   * previous ones left (namespace count, attachment room) — all or nothing, never half.
   */
  #serialConnect(session: Session, nsp: string, auth: Record<string, unknown>): Promise<void> {
    const before = this.#connecting.get(session.eid) ?? Promise.resolve()
    const run = before.then(() => {
      const current = this.#session(session.eid)
      return current ? this.#connect(current, nsp, auth) : undefined
    })
    const tail = run.catch(() => undefined)
    this.#connecting.set(session.eid, tail)
    void tail.then(() => {
      if (this.#connecting.get(session.eid) === tail) this.#connecting.delete(session.eid)
    })
    return run
  }

  async #connect(session: Session, nsp: string, auth: Record<string, unknown>): Promise<void> {
    const route = this.#route(nsp)
    if (!route) return session.send(connectError(nsp, 'Invalid namespace'))
    if (session.state.nsps[nsp]) await this.#leave(session, nsp)
    const max = this.config.SOCKETIO_MAX_NAMESPACES
    if (Object.keys(session.state.nsps).length >= max)
      return session.send(
        connectError(nsp, `Too many namespaces on one connection (at most ${max})`, { code: 'rate_limited' }),
      )
    const room = STATE_MAX - utf8Length(JSON.stringify(session.state))
    const query = session.state.q ?? {}
    const local = !route.owner || sameRef(route.owner, this.#me())
    let result: RemoteConnectResult
    if (local) {
      result = await this.#localConnect(route.handler, nsp, session.eid, auth, query, room, false)
    } else {
      try {
        result = await this.#stub(route.owner!).sioConnect({
          to: route.owner!,
          from: this.#me(),
          eid: session.eid,
          nsp,
          auth,
          query,
          room,
        })
      } catch (err) {
        this.log('error', 'sioConnect', { nsp, error: err })
        result = { ok: false, message: 'Namespace unavailable, retry later' }
      }
    }
    if (!result.ok) return session.send(connectError(nsp, result.message, result.data))
    const follows = local ? await this.#follow(session.eid, nsp, route.handler, result.data) : []
    if (!follows) return session.send(connectError(nsp, 'Namespace unavailable, retry later'))
    const membership: Membership = {
      sid: result.sid,
      d: result.data,
      ...(local ? {} : { r: 1 as const }),
      ...(follows.length ? { f: follows } : {}),
    }
    const current = this.#session(session.eid)
    let saved = false
    if (current) {
      try {
        this.#saveMembership(current, nsp, membership)
        saved = true
      } catch (err) {
        this.log('warn', 'connect', { nsp, error: err })
      }
    }
    if (!saved || !current) {
      // Closed meanwhile, or its state grew. Here nothing was announced yet (only followed); an
      // owner elsewhere announced the join, so it hears the leave that pairs it.
      if (local) await this.#unfollow(session.eid, nsp, follows)
      else await this.#leaveNamespace(session.eid, nsp, membership)
      current?.send(connectError(nsp, FULL, { code: 'payload_too_large' }))
      return
    }
    // A handler's `pid` (Socket.IO connection-state recovery) rides in the CONNECT reply.
    const pid = typeof result.data.pid === 'string' ? { pid: result.data.pid } : {}
    current.send([
      ...encodeSio({ type: SIO.CONNECT, nsp, data: { sid: result.sid, ...pid } }),
      ...result.frames,
    ])
    if (local) {
      const frames = await this.#runLocal(nsp, session.eid, (c) =>
        route.handler.connected?.(c, { sid: result.sid, eid: session.eid, data: result.data }),
      )
      this.#session(session.eid)?.send(frames)
    }
  }

  async #leave(session: Session, nsp: string): Promise<void> {
    const m = session.state.nsps[nsp]
    if (!m) return
    const nsps = { ...session.state.nsps }
    delete nsps[nsp]
    this.#saveState(session, { ...session.state, nsps })
    await this.#leaveNamespace(session.eid, nsp, m)
  }

  async #leaveNamespace(eid: string, nsp: string, m: Membership): Promise<void> {
    const route = this.#route(nsp)
    if (!route) return
    this.#acks.drop(eid, nsp)
    if (m.f) await this.#unfollow(eid, nsp, m.f)
    try {
      if (m.r && route.owner) {
        await this.#stub(route.owner).sioLeave({
          to: route.owner,
          from: this.#me(),
          eid,
          nsp,
          sid: m.sid,
          data: m.d,
        })
      } else {
        await this.#runLocal(nsp, eid, (c) => route.handler.disconnect?.(c, { sid: m.sid, eid, data: m.d }))
      }
    } catch (err) {
      this.log('error', 'leave', { nsp, error: err })
    }
  }

  async #event(session: Session, packet: SioPacket): Promise<void> {
    const nsp = packet.nsp
    const m = session.state.nsps[nsp]
    if (!m) return // Socket.IO servers ignore packets for namespaces the socket has not joined
    const [name, ...args] = packet.data as [string, ...unknown[]]
    let result: RemoteEventResult
    if (m.r) {
      const owner = this.#route(nsp)!.owner!
      try {
        result = await this.#stub(owner).sioEvent({
          to: owner,
          from: this.#me(),
          eid: session.eid,
          nsp,
          sid: m.sid,
          data: m.d,
          name,
          args,
          ackId: packet.id,
        })
      } catch (err) {
        this.log('error', 'sioEvent', { nsp, error: err })
        result = {
          frames: this.#failure(
            nsp,
            packet.id,
            new AppError('upstream_unavailable', 'Namespace unavailable, retry'),
          ),
        }
      }
    } else {
      result = await this.#localEvent(nsp, session.eid, m, name, args, packet.id)
    }
    const current = this.#session(session.eid)
    if (!current) return
    if (result.data && current.state.nsps[nsp])
      this.#saveMembership(current, nsp, { ...current.state.nsps[nsp], d: result.data })
    current.send(result.frames)
  }

  /** The client's close packet `1`: a waiting GET gets a noop (socket.io), the session ends. */
  async #close(session: Session): Promise<void> {
    if (session instanceof WsSession) return this.disconnect(session.conn, 1000, 'client close')
    await this.#closePoll(session, EIO.noop)
  }

  /** Every namespace the session joined says goodbye (owner handlers run their disconnect). */
  async #endSession(eid: string, state: SessionState): Promise<void> {
    this.#partial.delete(eid)
    this.#acks.drop(eid)
    for (const [nsp, m] of Object.entries(state.nsps)) await this.#leaveNamespace(eid, nsp, m)
    this.#rearm()
  }

  // ── Owner side: running handlers ───────────────────────────────────────────────────────

  /**
   * Runs the handler's `connect` here. `room`: bytes left in the holding session's attachment;
   * a membership that would not fit is refused before anything is announced or followed.
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
      await this.#runLocal(
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
    const handler = this.#route(nsp)!.handler
    const sock: NsSocket = { sid: m.sid, eid, data: m.d }
    let ackArgs: unknown[] | void = undefined
    try {
      const frames = await this.#runLocal(
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
        this.log('error', 'event', { nsp, name, error: err, stack: (err as Error)?.stack })
      return { frames: this.#failure(nsp, ackId, e) }
    }
  }

  /** An error event naming the problem, plus `{error}` as the ack when one was asked for. */
  #failure(nsp: string, ackId: number | undefined, e: AppError): EngineFrame[] {
    const error = { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }
    const frames = encodeSio({ type: SIO.EVENT, nsp, data: ['error', error] })
    if (ackId !== undefined) frames.push(...encodeSio({ type: SIO.ACK, nsp, id: ackId, data: [{ error }] }))
    return frames
  }

  /**
   * Runs handler code with a context for `nsp`; returns the frames it emitted to the calling
   * socket. With `rethrow`, handler errors propagate; otherwise they are logged.
   */
  async #runLocal(
    nsp: string,
    eid: string,
    fn: (c: NsContext) => unknown,
    rethrow = false,
  ): Promise<EngineFrame[]> {
    const frames: EngineFrame[] = []
    const c: NsContext = {
      env: this.env,
      config: this.config,
      nsp,
      ctx: this.ctx,
      broadcast: (event, args, opts) => this.broadcastEvent(nsp, event, args, opts?.except),
      emit: (event, ...args) => frames.push(...encodeSio({ type: SIO.EVENT, nsp, data: [event, ...args] })),
      broadcastJson: (json, opts) => this.broadcastJson(nsp, json, opts?.except),
      emitJson: (json) => frames.push(encodeSioEvent(nsp, json)),
      emitWithAck: (event, args, ask) => {
        if (!this.#session(eid)) throw new AppError('internal_error', `emitWithAck: ${eid} is not held here`)
        frames.push(...this.#askFrames(nsp, [eid], event, args, ask))
      },
    }
    try {
      await fn(c)
    } catch (err) {
      if (rethrow) throw err
      this.log('error', 'handler', { nsp, error: err })
    }
    return frames
  }

  /**
   * Emits `event` to every socket of `nsp`: this object's own sockets and, once per following
   * object, everyone it holds. Encoded once. Returns the number of local deliveries.
   */
  protected broadcastEvent(
    nsp: string,
    event: string,
    args: unknown[],
    except?: string,
    ask?: AckAsk,
  ): number {
    if (ask) return this.#broadcastAsk(nsp, event, args, ask)
    return this.#broadcastFrames(nsp, encodeSio({ type: SIO.EVENT, nsp, data: [event, ...args] }), except)
  }

  /** `broadcastEvent` of an `[event, ...args]` array the caller already JSON-encoded (no binary). */
  protected broadcastJson(nsp: string, json: string, except?: string): number {
    return this.#broadcastFrames(nsp, [encodeSioEvent(nsp, json)], except)
  }

  /** The source key this object's deliveries carry (followers filter on it). */
  #source(): string {
    return refKey(this.#me())
  }

  /** Like broadcastEvent, asking every socket for an ack (ack ids are per holding object). */
  #broadcastAsk(nsp: string, event: string, args: unknown[], ask: AckAsk): number {
    const sent = this.#fanoutAsk(nsp, event, args, ask)
    const source = this.#source()
    for (const ref of this.#followersOf(nsp).values()) {
      this.ctx.waitUntil(
        this.#stub(ref)
          .sioAsk(nsp, event, args, ask, source)
          .catch((err) => this.log('warn', 'sioAsk', { nsp, error: err })),
      )
    }
    return sent
  }

  #broadcastFrames(nsp: string, frames: EngineFrame[], except?: string): number {
    const sent = this.#fanout(nsp, frames, except)
    const source = this.#source()
    for (const ref of this.#followersOf(nsp).values()) {
      const stub = this.#stub(ref)
      // Followers leave through sioLeave (a socket's DISCONNECT or close), not by delivery counts:
      // a follower may be between its CONNECT and recording the membership.
      this.ctx.waitUntil(
        stub
          .sioDeliver(nsp, frames, except, source)
          .catch((err) => this.log('warn', 'sioDeliver', { nsp, error: err })),
      )
    }
    return sent
  }

  #fanout(nsp: string, frames: EngineFrame[], except?: string, source?: string): number {
    let sent = 0
    for (const s of this.#ws.values()) {
      if (s.state.probing) continue // its polling session still receives
      if (!wants(s.state.nsps[nsp], except, source)) continue
      s.send(frames)
      sent++
    }
    for (const s of this.#polls.values()) {
      if (!wants(s.state.nsps[nsp], except, source)) continue
      s.send(frames)
      sent++
    }
    return sent
  }

  /** Emits to the sessions `#targets` picks with one ack id, and waits for each one's ack. */
  #fanoutAsk(
    nsp: string,
    event: string,
    args: unknown[],
    ask: AckAsk,
    except?: string,
    source?: string,
  ): number {
    const targets: Session[] = []
    for (const s of this.#ws.values())
      if (!s.state.probing && wants(s.state.nsps[nsp], except, source)) targets.push(s)
    for (const s of this.#polls.values()) if (wants(s.state.nsps[nsp], except, source)) targets.push(s)
    if (!targets.length) return 0
    const frames = this.#askFrames(
      nsp,
      targets.map((s) => s.eid),
      event,
      args,
      ask,
    )
    for (const s of targets) s.send(frames)
    return targets.length
  }

  // ── Server-initiated acknowledgements ──────────────────────────────────────────────────

  /** Encodes `event` with a fresh ack id and records the ack each of `eids` owes. */
  #askFrames(nsp: string, eids: string[], event: string, args: unknown[], ask: AckAsk): EngineFrame[] {
    const id = this.#acks.nextId()
    const expires = Date.now() + this.config.SOCKETIO_ACK_TIMEOUT
    for (const eid of eids) this.#acks.add(eid, nsp, id, ask, expires)
    this.scheduleAlarm(expires)
    return encodeSio({ type: SIO.EVENT, nsp, id, data: [event, ...args] })
  }

  /** A client's ACK (or BINARY_ACK, attachments already in place) to an event the server sent. */
  async #onAck(session: Session, packet: SioPacket): Promise<void> {
    const { nsp, id } = packet
    const m = session.state.nsps[nsp]
    const ask = m && id !== undefined ? this.#acks.take(session.eid, nsp, id) : undefined
    if (!m || !ask) {
      const what = id === undefined ? 'ACK without an id' : `Unknown or expired ack id ${id}`
      return session.send(this.#errorFrames(nsp, 'bad_request', what))
    }
    const handler = this.#route(nsp)!.handler
    const sock: NsSocket = { sid: m.sid, eid: session.eid, data: m.d }
    let frames: EngineFrame[]
    try {
      frames = await this.#runLocal(
        nsp,
        session.eid,
        (c) => handler.acked?.(c, sock, ask, packet.data as unknown[]),
        true,
      )
    } catch (err) {
      frames = this.#failure(nsp, undefined, asAppError(err))
    }
    this.#session(session.eid)?.send(frames)
  }

  // ── Following other objects' publishes ────────────────────────────────────────────────

  /** Subscribes this object to the sources `handler.follows` names; answers their keys, or undefined if one failed. */
  async #follow(
    eid: string,
    nsp: string,
    handler: NamespaceHandler,
    data: NsData,
  ): Promise<string[] | undefined> {
    const refs = (handler.follows?.(data) ?? []).filter((r) => !sameRef(r, this.#me()))
    try {
      await Promise.all(refs.map((to) => this.#stub(to).sioFollow({ to, from: this.#me(), eid, nsp })))
    } catch (err) {
      this.log('error', 'sioFollow', { nsp, error: err })
      await this.#unfollow(eid, nsp, refs.map(refKey))
      return undefined
    }
    return refs.map(refKey)
  }

  async #unfollow(eid: string, nsp: string, keys: string[]): Promise<void> {
    await Promise.all(
      keys.map((key) => {
        const to = refFromKey(key)
        return this.#stub(to)
          .sioUnfollow({ to, from: this.#me(), eid, nsp })
          .catch((err) => this.log('warn', 'sioUnfollow', { nsp, error: err }))
      }),
    )
  }

  #followersOf(nsp: string): Map<string, ObjectRef> {
    let map = this.#followers.get(nsp)
    if (!map) {
      map = new Map()
      const rows = this.ctx.storage.sql
        .exec<{ kind: string; name: string }>(
          `SELECT DISTINCT kind, name FROM sio_followers WHERE nsp = ?`,
          nsp,
        )
        .toArray()
      for (const r of rows) {
        const ref = { kind: r.kind, name: r.name } as ObjectRef
        map.set(refKey(ref), ref)
      }
      this.#followers.set(nsp, map)
    }
    return map
  }

  // ── RPC: owner side (called by objects that hold the sockets) ─────────────────────────

  /** A socket held by another object joins a namespace this object owns. */
  async sioConnect(req: RemoteConnect): Promise<RemoteConnectResult> {
    const route = this.#route(req.nsp)
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
    await this.sioFollow(req)
    const frames = await this.#runLocal(req.nsp, req.eid, (c) =>
      route.handler.connected?.(c, { sid: result.sid, eid: req.eid, data: result.data }),
    )
    return { ...result, frames }
  }

  /** An event from a socket another object holds, for a namespace this object owns. */
  async sioEvent(req: RemoteEvent): Promise<RemoteEventResult> {
    if (!this.#route(req.nsp)) return { frames: [] }
    return this.#localEvent(req.nsp, req.eid, { sid: req.sid, d: req.data }, req.name, req.args, req.ackId)
  }

  /** A socket another object holds left a namespace this object owns. */
  async sioLeave(req: RemoteLeave): Promise<void> {
    await this.sioUnfollow(req)
    await this.#leaveNamespace(req.eid, req.nsp, { sid: req.sid, d: req.data })
  }

  /** A socket another object holds receives this object's events on `nsp` from now on. */
  async sioFollow(req: RemoteFollow): Promise<void> {
    this.ctx.storage.sql.exec(
      `INSERT OR REPLACE INTO sio_followers (nsp, eid, kind, name) VALUES (?, ?, ?, ?)`,
      req.nsp,
      req.eid,
      req.from.kind,
      req.from.name,
    )
    this.#followersOf(req.nsp).set(refKey(req.from), req.from)
  }

  /** The socket stopped following (it left the namespace or closed). */
  async sioUnfollow(req: RemoteFollow): Promise<void> {
    this.ctx.storage.sql.exec(`DELETE FROM sio_followers WHERE nsp = ? AND eid = ?`, req.nsp, req.eid)
    const still = this.ctx.storage.sql
      .exec(
        `SELECT 1 FROM sio_followers WHERE nsp = ? AND kind = ? AND name = ? LIMIT 1`,
        req.nsp,
        req.from.kind,
        req.from.name,
      )
      .toArray().length
    if (!still) this.#followersOf(req.nsp).delete(refKey(req.from))
  }

  // ── RPC: follower side (called by owners) ──────────────────────────────────────────────

  /** Delivers pre-encoded frames from `source` (a refKey) to this object's sockets in `nsp`; answers how many got them. */
  async sioDeliver(nsp: string, frames: EngineFrame[], except?: string, source?: string): Promise<number> {
    return this.#fanout(nsp, frames, except, source)
  }

  /** Like sioDeliver, for an event that asks each socket for an ack (ids are per holding object). */
  async sioAsk(nsp: string, event: string, args: unknown[], ask: AckAsk, source?: string): Promise<number> {
    return this.#fanoutAsk(nsp, event, args, ask, undefined, source)
  }

  /**
   * Emits an event to a namespace this object owns or feeds, from outside any socket (REST,
   * webhooks, cron, other objects); with `ack`, each socket is asked to acknowledge it and the
   * namespace's `acked` hook runs for each ACK. See src/worker/services/realtime.ts.
   */
  async publish(nsp: string, event: string, args: unknown[], ack?: AckAsk): Promise<number> {
    return this.broadcastEvent(nsp, event, args, undefined, ack)
  }

  // ── Deadlines: pings, pongs, connect and upgrade timeouts, ack expiry ──────────────────

  /** Recent ping rounds (epoch ms), from memory or storage. */
  #pings(): number[] {
    return (this.#pingTimes ??= (this.ctx.storage.kv.get<number[]>(PINGS_KEY) ?? []).slice())
  }

  /** Sets the alarm to the earliest thing due: the next ping round, a pong deadline still open, a connect or upgrade timeout, an ack expiry. */
  #rearm(): void {
    const { SOCKETIO_PING_INTERVAL: interval, SOCKETIO_PING_TIMEOUT: timeout } = this.config
    const now = Date.now()
    let next = Infinity
    let pinged = false
    for (const s of this.#ws.values()) {
      next = Math.min(next, this.#timeoutOf(s) ?? Infinity)
      pinged ||= !s.state.probing
    }
    if (pinged) {
      const pings = this.#pings()
      const last = pings.at(-1)
      next = Math.min(
        next,
        last !== undefined && last > now - 2 * interval ? last + interval : now + interval,
      )
      for (const p of pings) {
        const known = p === this.#awaitingRound && !this.#awaiting.size
        if (p + timeout > now && !known) next = Math.min(next, p + timeout)
      }
    }
    next = Math.min(next, this.#acks.nextExpiry() ?? Infinity)
    this.setAlarmAt(next === Infinity ? null : next)
  }

  /** When a WebSocket session times out if nothing changes: a probe that never completes, a connection that joins no namespace. */
  #timeoutOf(s: WsSession): number | undefined {
    if (s.state.probing) return s.state.connectedAt + UPGRADE_TIMEOUT
    if (!Object.keys(s.state.nsps).length) return s.state.connectedAt + this.config.SOCKETIO_CONNECT_TIMEOUT
    return undefined
  }

  /**
   * Closes WebSocket sessions whose pong is overdue (the newest ping round whose timeout passed),
   * that joined no namespace in time, or whose upgrade probe never completed; then pings the rest
   * once per interval, drops expired acks and sets the next alarm.
   */
  protected async onAlarm(): Promise<void> {
    const { SOCKETIO_PING_INTERVAL: interval, SOCKETIO_PING_TIMEOUT: timeout } = this.config
    const now = Date.now()
    const pings = this.#pings()
    const due = pings.filter((p) => p + timeout <= now).at(-1)
    const live: WsSession[] = []
    for (const s of this.#ws.values()) {
      const overdue = !s.state.probing && due !== undefined && s.state.connectedAt < due
      if (overdue && (s.state.pong ?? 0) < due) this.disconnect(s.conn, 1000, 'ping timeout')
      else if (now >= (this.#timeoutOf(s) ?? Infinity)) this.disconnect(s.conn, 1000, 'connect timeout')
      else if (!s.state.probing) live.push(s)
    }
    const last = pings.at(-1)
    if (live.length && (last === undefined || now >= last + interval)) {
      this.#awaiting = new Set(live.map((s) => s.eid))
      this.#awaitingRound = now
      for (const s of live) s.send([EIO.ping])
      pings.push(now)
    }
    const keep = pings.filter((p, i) => p + timeout > now || i === pings.length - 1)
    if (keep.length !== pings.length || keep.at(-1) === now) {
      this.#pingTimes = keep
      this.ctx.storage.kv.put(PINGS_KEY, keep)
    }
    this.#acks.expire()
    this.#rearm()
  }

  // ── Small helpers ──────────────────────────────────────────────────────────────────────

  #session(eid: string): Session | undefined {
    return this.#polls.get(eid) ?? this.#ws.get(eid)
  }

  #saveMembership(session: Session, nsp: string, m: Membership): void {
    this.#saveState(session, { ...session.state, nsps: { ...session.state.nsps, [nsp]: m } })
  }

  #saveState(session: Session, state: SessionState): void {
    if (session instanceof WsSession) this.saveState(session.conn, state)
    else session.state = state
    // A WebSocket probing an upgrade copies the polling state when it completes.
  }

  #errorFrames(nsp: string, code: ErrorCode, message: string): EngineFrame[] {
    return encodeSio({ type: SIO.EVENT, nsp, data: ['error', { code, message }] })
  }

  /** The namespace's route under this deployment's configuration (SOCKETIO_CONFORMANCE). */
  #route(nsp: string) {
    return namespaceRoute(nsp, this.config.SOCKETIO_CONFORMANCE)
  }

  #stub(ref: ObjectRef): HostStub {
    const key = refKey(ref)
    let stub = this.#stubs.get(key)
    if (!stub) {
      stub = hostStub(this.env, ref)
      this.#stubs.set(key, stub)
    }
    return stub
  }

  #me(): ObjectRef {
    return { kind: this.kind, name: this.name }
  }
}

/** A WebSocket accepted only to be closed at once (socket.io's answer to a second upgrade of one session). */
function closedWebSocket(reason: string): Response {
  const { 0: client, 1: server } = new WebSocketPair()
  server.accept()
  server.close(1000, reason)
  return new Response(null, { status: 101, webSocket: client })
}

const encoder = new TextEncoder()
const utf8Length = (text: string) => encoder.encode(text).length

function keptQuery(url: URL): { q?: Record<string, string> } {
  const q: Record<string, string> = {}
  for (const k of KEPT_QUERY) {
    const v = url.searchParams.get(k)
    if (v && v.length <= 1200) q[k] = v
  }
  return Object.keys(q).length ? { q } : {}
}

/**
 * Whether a session with membership `m` gets a delivery: it joined the namespace, is not the
 * excluded socket, and follows `source` (a refKey; undefined: the object's own events).
 */
function wants(m: Membership | undefined, except: string | undefined, source: string | undefined): boolean {
  return !!m && m.sid !== except && (!source || !m.f || m.f.includes(source))
}

function firstNsp(state: SessionState): string {
  return Object.keys(state.nsps)[0] ?? '/'
}

function connectError(nsp: string, message: string, data?: Record<string, unknown>): EngineFrame[] {
  return encodeSio({ type: SIO.CONNECT_ERROR, nsp, data: { message, ...(data ? { data } : {}) } })
}
