import { AppError } from '../../worker/lib/errors'
import { asAppError, type Connection, type Refusal } from '../channel'
import { decodePayload, EIO, openPacket, type EngineFrame } from './codec'
import type { HostContext } from './context'
import { Heartbeat } from './heartbeat'
import { engineError, PollingTransport, type PollTimers } from './polling'
import { newEngineSid, refFromSid, refKey, sameRef, type ObjectRef } from './refs'
import type { SessionState } from './session'
import { WebSocketTransport, type SocketIo, type Transport } from './transport'
import { upgradeResponse } from '../upgrade-response'

/** Handshake query parameters a session keeps for its namespaces' CONNECT checks. */
const KEPT_QUERY = ['token', 'room', 'taskId', 'task_id']

/** What the engine needs from the object around it, and what it hands up (the Socket.IO layer). */
export interface EngineHooks extends SocketIo {
  /** An Engine.IO message's payload (the text after `4`) or a binary frame (an attachment). */
  message(session: Transport, data: EngineFrame): Promise<void>
  /** A session ended (closed by either side, timed out, or its transport failed). */
  ended(eid: string, state: SessionState): Promise<void>
  /** The per-message limits for one client message (Channel.admitMessage). */
  admitMessage(eid: string, frame: EngineFrame): Refusal | undefined
  /** A client message the limits refused. */
  refused(session: Transport, frame: EngineFrame, refused: Refusal): void
  /** The connection limit for a new session (Channel.admitConnection; throws). */
  admitConnection(): void
  /** Closes a WebSocket (Channel.disconnect). */
  disconnect(conn: Connection<SessionState>, code: number, reason: string): void
  /** The room side of a session handed over from its home object at the upgrade (handoff.ts). */
  handOff: {
    begin(home: ObjectRef, eid: string): Promise<boolean>
    probed(session: WebSocketTransport): Promise<void>
    failed(session: WebSocketTransport): void
    upgrade(session: WebSocketTransport): Promise<void>
  }
  /** Deadlines besides the heartbeat's (server-initiated acks), epoch ms or Infinity. */
  nextDeadline(): number
  /** Sets the object's one alarm (null: none). */
  setAlarmAt(at: number | null): void
}

/**
 * Engine.IO v4 (engine.io's `Server` + `Socket`): the handshake, the two transports — hibernatable
 * WebSockets and in-memory long-polling —, the upgrade from one to the other (upgrade.ts), the
 * heartbeat and timeouts (heartbeat.ts; polling sessions keep their own timers), closing on
 * protocol errors, and the per-message limits on both transports. It knows Engine.IO packets only:
 * messages go up to the Socket.IO client (client.ts) through `hooks.message`.
 */
export class Engine {
  readonly #ws = new Map<string, WebSocketTransport>()
  readonly #polls = new Map<string, PollingTransport>()
  readonly #heartbeat: Heartbeat
  /** Frames that came after a handed-over session's `5`, run in order once it has moved here. */
  readonly #arriving = new Map<string, (string | ArrayBuffer)[]>()

  constructor(
    readonly host: HostContext,
    readonly hooks: EngineHooks,
    /** WebSockets this object held before it hibernated. */
    held: Iterable<Connection<SessionState>>,
  ) {
    for (const conn of held) this.#ws.set(conn.state.eid, new WebSocketTransport(conn, hooks))
    this.#heartbeat = new Heartbeat(
      host.ctx.storage.kv,
      () => host.config,
      (s, reason) =>
        s.state.probing ? this.failProbe(s, 1000, reason) : hooks.disconnect(s.conn, 1000, reason),
    )
  }

  /** The session `eid` (its polling transport while an upgrade is under way). */
  session(eid: string): Transport | undefined {
    return this.#polls.get(eid) ?? this.#ws.get(eid)
  }

  /**
   * Every session that receives broadcasts (a WebSocket still probing does not: its polling
   * session does). A broadcast walks it once per message, so it is built without iterators
   * (`forEach`, not `for…of` over the maps, whose result objects were ~1.8 KiB of garbage
   * per message into 50 sockets) into an array sized once; callers walk it by index.
   */
  receivers(): Transport[] {
    const out: Transport[] = new Array(this.#ws.size + this.#polls.size)
    let n = 0
    this.#ws.forEach((s) => {
      if (!s.state.probing) out[n++] = s
    })
    this.#polls.forEach((p) => {
      out[n++] = p
    })
    out.length = n
    return out
  }

  /** A polling session held here (a hand-off's home side). */
  poll(eid: string): PollingTransport | undefined {
    return this.#polls.get(eid)
  }

  /** A polling session moved to another object: forgotten without saying goodbye to its namespaces. */
  forgetPoll(eid: string): void {
    this.#polls.delete(eid)
    this.rearm()
  }

  /** Whether session id `sid` names another object (a WebSocket for it is a hand-off probe). */
  #elsewhere(sid: string): ObjectRef | undefined {
    const ref = refFromSid(sid)
    return ref && !sameRef(ref, this.host.me()) ? ref : undefined
  }

  /** Long-polling sessions held (they count toward the connection limit like WebSockets). */
  get pollingCount(): number {
    return this.#polls.size
  }

  // ── WebSocket transport ────────────────────────────────────────────────────────────────

  /**
   * A WebSocket naming a session (`sid`) probes an upgrade of a polling session: an unknown id
   * gets Engine.IO's 400, and a session that is not polling any more (already upgraded or being
   * probed) gets a WebSocket accepted and closed at once, as socket.io does. Undefined: go on.
   */
  checkUpgrade(request: Request): Response | undefined {
    const sid = new URL(request.url).searchParams.get('sid')
    if (!sid || request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return undefined
    const poll = this.#polls.get(sid)
    if (this.#ws.has(sid) || (poll && poll.upgrade !== 'polling'))
      return closedWebSocket('Session already upgraded')
    if (!poll && !this.#elsewhere(sid)) return engineError(400, 1, 'Session ID unknown')
    return undefined
  }

  /** Only a new session counts against the connection limit, not one upgrading here (one handed over does). */
  isNewSession(request: Request): boolean {
    const sid = new URL(request.url).searchParams.get('sid')
    return !sid || !!this.#elsewhere(sid)
  }

  /**
   * The attachment of a WebSocket being accepted: a new session, the probe of a polling one, or
   * the probe of a polling session another object holds (a hand-off, handoff.ts).
   */
  async webSocketState(request: Request): Promise<Omit<SessionState, 'id' | 'connectedAt'>> {
    const url = new URL(request.url)
    const sid = url.searchParams.get('sid')
    if (!sid) return { eid: newEngineSid(this.host.me()), nsps: {}, ...keptQuery(url) }
    const poll = this.#polls.get(sid)
    const home = poll ? undefined : this.#elsewhere(sid)
    if (home && (await this.hooks.handOff.begin(home, sid)))
      return { eid: sid, nsps: {}, probing: 1, h: refKey(home) }
    if (!poll || !poll.step('open')) throw new AppError('bad_request', 'Session ID unknown')
    return {
      eid: sid,
      nsps: { ...poll.state.nsps },
      ...(poll.state.q ? { q: poll.state.q } : {}),
      probing: 1,
    }
  }

  webSocketOpened(conn: Connection<SessionState>): void {
    const session = new WebSocketTransport(conn, this.hooks)
    this.#ws.set(conn.state.eid, session)
    if (!conn.state.probing) session.send([this.#openPacket(conn.state.eid, [])])
    this.rearm()
  }

  async webSocketMessage(conn: Connection<SessionState>, frame: string | ArrayBuffer): Promise<void> {
    const session = this.#ws.get(conn.state.eid)
    if (!session) return
    const arriving = this.#arriving.get(session.eid)
    if (arriving) return void arriving.push(frame)
    if (conn.state.h) return this.#onHandOffFrame(session, frame)
    if (conn.state.probing) return this.#onProbeFrame(session, frame)
    await this.#onFrame(session, frame)
  }

  async webSocketClosed(conn: Connection<SessionState>): Promise<void> {
    const session = this.#ws.get(conn.state.eid)
    if (session?.conn.ws === conn.ws) this.#ws.delete(conn.state.eid)
    this.#heartbeat.forget(conn.state.eid)
    // A failed upgrade probe leaves the polling session in charge (here or in its home).
    if (conn.state.h) {
      if (session?.conn.ws === conn.ws) this.hooks.handOff.failed(session)
      return
    }
    const poll = conn.state.probing ? this.#polls.get(conn.state.eid) : undefined
    if (poll) {
      poll.step('fail')
      return
    }
    await this.#end(conn.state.eid, conn.state)
  }

  /**
   * Frames on a WebSocket probing an upgrade (upgrade.ts): `2probe` → `3probe` (the polling
   * session then releases its GETs with noops), then `5` moves the session onto the WebSocket.
   * Anything else closes the probe; the polling session goes on.
   */
  #onProbeFrame(session: WebSocketTransport, frame: string | ArrayBuffer): void {
    const poll = this.#polls.get(session.eid)
    if (!poll) return this.hooks.disconnect(session.conn, 1011, 'session gone')
    if (frame === EIO.ping + 'probe') {
      session.send([EIO.pong + 'probe'])
      if (poll.upgrade === 'probing') poll.step('probe')
      return
    }
    if (frame !== EIO.upgrade || !poll.step('upgrade')) return this.failProbe(session, 1002, 'bad upgrade')
    const state: SessionState = { ...session.state, nsps: poll.state.nsps, q: poll.state.q, pong: Date.now() }
    delete state.probing
    session.save(state)
    const pending = poll.drain()
    this.#polls.delete(session.eid)
    // The client paused polling before its `5`; a GET still waiting is not from it.
    poll.close(EIO.noop, engineError(400, 3, 'Session upgraded to websocket'))
    session.send(pending)
    this.rearm()
  }

  /** A probe for a session another object holds: `2probe` / `3probe`, then `5` moves the session here. */
  async #onHandOffFrame(session: WebSocketTransport, frame: string | ArrayBuffer): Promise<void> {
    if (frame === EIO.ping + 'probe') {
      session.send([EIO.pong + 'probe'])
      return this.hooks.handOff.probed(session)
    }
    if (frame !== EIO.upgrade) return this.failProbe(session, 1002, 'bad upgrade')
    // The client writes its buffered packets right after `5`: they wait until the session moved.
    const arriving: (string | ArrayBuffer)[] = []
    this.#arriving.set(session.eid, arriving)
    try {
      await this.hooks.handOff.upgrade(session)
      this.rearm()
      for (let f = arriving.shift(); f !== undefined; f = arriving.shift())
        if (this.#ws.get(session.eid) === session) await this.#onFrame(session, f)
    } finally {
      this.#arriving.delete(session.eid)
    }
  }

  /** Closes a probe that failed; its polling session is polling again at once (a new probe may come before this one's close event). */
  failProbe(session: WebSocketTransport, code: number, reason: string): void {
    if (session.state.h) this.hooks.handOff.failed(session)
    else this.#polls.get(session.eid)?.step('fail')
    if (this.#ws.get(session.eid) === session) this.#ws.delete(session.eid)
    this.hooks.disconnect(session.conn, code, reason)
  }

  // ── Long-polling transport ─────────────────────────────────────────────────────────────

  /** HTTP long-polling: GET opens a session or waits for packets; POST carries client packets. */
  async pollingRequest(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const sid = url.searchParams.get('sid')
    if (!sid) {
      if (request.method !== 'GET') return engineError(400, 3, 'Bad handshake method')
      try {
        this.hooks.admitConnection()
      } catch (err) {
        const e = asAppError(err)
        return Response.json({ type: 'error', code: e.code, message: e.message }, { status: e.status })
      }
      const eid = newEngineSid(this.host.me())
      const state: SessionState = { id: eid, connectedAt: Date.now(), eid, nsps: {}, ...keptQuery(url) }
      const session = new PollingTransport(eid, state, this.#pollTimers())
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
    if (body.length > this.host.config.SOCKETIO_MAX_PAYLOAD) return engineError(413, 3, 'Payload too large')
    let frames: EngineFrame[]
    try {
      frames = decodePayload(body)
    } catch {
      await this.#closePoll(session, EIO.close)
      return engineError(400, 3, 'Malformed payload')
    }
    session.posts++
    // Each packet passes the same per-message limits as a WebSocket frame does.
    for (const frame of frames) {
      if (session.closed) break
      const counted = typeof frame !== 'string' || frame.charAt(0) === EIO.message
      const refused = counted ? this.hooks.admitMessage(sid, frame) : undefined
      if (refused) this.hooks.refused(session, frame, refused)
      else await this.#onFrame(session, frame)
    }
    return new Response('ok', { headers: { 'content-type': 'text/html' } })
  }

  #pollTimers(): PollTimers {
    const c = this.host.config
    return {
      pingInterval: c.SOCKETIO_PING_INTERVAL,
      pingTimeout: c.SOCKETIO_PING_TIMEOUT,
      connectTimeout: c.SOCKETIO_CONNECT_TIMEOUT,
      expire: (session, reason) => {
        this.host.log('info', 'poll', { eid: session.eid, closed: reason })
        this.host.ctx.waitUntil(this.#closePoll(session, EIO.close))
      },
    }
  }

  /** Ends a polling session: a waiting GET gets `packet` (or `answer`), its namespaces say goodbye. */
  async #closePoll(session: PollingTransport, packet: string, answer?: Response): Promise<void> {
    if (session.closed) return
    this.#polls.delete(session.eid)
    session.close(packet, answer)
    await this.#end(session.eid, session.state)
  }

  // ── Engine.IO packets, on either transport ─────────────────────────────────────────────

  async #onFrame(session: Transport, frame: EngineFrame): Promise<void> {
    if (typeof frame !== 'string') return this.hooks.message(session, frame)
    switch (frame.charAt(0)) {
      case EIO.message:
        return this.hooks.message(session, frame.slice(1))
      case EIO.close:
        return this.#clientClose(session)
      case EIO.pong:
        return this.#onPong(session)
      case EIO.noop:
        return
      default:
        // Includes `2`: Engine.IO v4 clients never ping (socket.io: "invalid heartbeat direction").
        return this.protocolError(session, `Unexpected Engine.IO packet type "${frame.charAt(0)}"`)
    }
  }

  /** A pong: the session is alive (WebSocket pongs are kept in the attachment: they survive hibernation). */
  #onPong(session: Transport): void {
    if (session instanceof PollingTransport) return session.pong()
    if (this.#heartbeat.pong(session as WebSocketTransport)) this.rearm()
  }

  /** The client's close packet `1`: a waiting GET gets a noop (socket.io), the session ends. */
  async #clientClose(session: Transport): Promise<void> {
    if (session instanceof WebSocketTransport)
      return this.hooks.disconnect(session.conn, 1000, 'client close')
    await this.#closePoll(session as PollingTransport, EIO.noop)
  }

  /** Closes a session from the server's side (the admin UI's disconnect with `close`). */
  async close(session: Transport, reason: string): Promise<void> {
    if (session instanceof WebSocketTransport) return this.hooks.disconnect(session.conn, 1000, reason)
    await this.#closePoll(session as PollingTransport, EIO.close)
  }

  /**
   * A packet the protocol does not allow (unknown type, malformed payload, bad ack id, too many
   * attachments…): like socket.io, the connection is closed.
   */
  async protocolError(session: Transport, why: string): Promise<void> {
    this.host.log('info', 'protocol', { eid: session.eid, error: why })
    if (session instanceof WebSocketTransport)
      return this.hooks.disconnect(session.conn, 1002, why.slice(0, 100))
    await this.#closePoll(session as PollingTransport, EIO.close)
  }

  async #end(eid: string, state: SessionState): Promise<void> {
    await this.hooks.ended(eid, state)
    this.rearm()
  }

  #openPacket(eid: string, upgrades: string[]): string {
    const c = this.host.config
    return openPacket({
      sid: eid,
      upgrades,
      pingInterval: c.SOCKETIO_PING_INTERVAL,
      pingTimeout: c.SOCKETIO_PING_TIMEOUT,
      maxPayload: c.SOCKETIO_MAX_PAYLOAD,
    })
  }

  // ── Deadlines ──────────────────────────────────────────────────────────────────────────

  /** Sets the alarm to the earliest thing due: the heartbeat's next deadline, or another (acks). */
  rearm(): void {
    const next = Math.min(this.#heartbeat.next(this.#ws.values()), this.hooks.nextDeadline())
    this.hooks.setAlarmAt(next === Infinity ? null : next)
  }

  /** The alarm: WebSocket deadlines and the next ping round (the caller re-arms after its own deadlines). */
  alarm(now = Date.now()): void {
    this.#heartbeat.tick(this.#ws.values(), now)
  }
}

/** A WebSocket accepted only to be closed at once (socket.io's answer to a second upgrade of one session). */
function closedWebSocket(reason: string): Response {
  const { 0: client, 1: server } = new WebSocketPair()
  server.accept()
  server.close(1000, reason)
  return upgradeResponse(client, false) // closed at once: nothing to compress
}

function keptQuery(url: URL): { q?: Record<string, string> } {
  const q: Record<string, string> = {}
  for (const k of KEPT_QUERY) {
    const v = url.searchParams.get(k)
    if (v && v.length <= 1200) q[k] = v
  }
  return Object.keys(q).length ? { q } : {}
}
