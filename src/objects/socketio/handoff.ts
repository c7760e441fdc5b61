import type { PendingAck, PendingAcks } from './acks'
import type { Adapter } from './adapter'
import { EIO, type EngineFrame } from './codec'
import type { HostContext } from './context'
import type { NamespaceRoute } from './namespaces'
import { engineError, type PollingTransport } from './polling'
import { refFromKey, sameRef, type ObjectRef } from './refs'
import type { Membership, SessionState } from './session'
import type { WebSocketTransport } from './transport'

/**
 * How long the home waits, when asked where an upgrade goes, for the session's first POST:
 * socket.io-client sends its CONNECT in it at the same moment as it opens the upgrade probe
 * (at most a quarter of the ping interval).
 */
const FIRST_POST_WAIT_MS = 500

/** What the home object hands over when the session's `5` arrives at the room's object. */
export interface HandedOver {
  /** Everything still queued for the client, in order. */
  frames: EngineFrame[]
  /** Acks the client still owes (ids as the home object gave them). */
  acks: PendingAck[]
}

/** What a hand-off needs from the engine (the home object's polling sessions). */
export interface HandOffEngine {
  poll(eid: string): PollingTransport | undefined
  /** The polling session moved away: forgotten here without saying goodbye to its namespaces. */
  forgetPoll(eid: string): void
  failProbe(session: WebSocketTransport, code: number, reason: string): void
}

/**
 * Moving a session into its room's object at the upgrade (socket.io-client's default: long-polling
 * first, then a WebSocket). A session without a routing hint opens in a home object, which
 * follows the room it joins, so each broadcast costs an RPC per socket's home. At the upgrade the
 * Worker asks the home (`sioUpgradeTarget`) and, when every namespace the session joined is owned
 * by one room object (or runs in whichever object holds the socket, following nothing), sends
 * the WebSocket to that room's object instead. There the upgrade runs across the two objects,
 * step for step as engine.io runs it in one (upgrade.ts):
 *
 * - the probe opens: the room asks the home to start (`sioHandOffStart`: the home's polling
 *   session moves to `probing`);
 * - `2probe` → `3probe`: the home releases its waiting GETs with noops (`probed`);
 * - `5`: the room takes the session's state (`sioHandOffState`), makes the memberships it owns
 *   local and stops delivering them to the home, holds the socket's frames, waits until every
 *   delivery already queued for the home was sent, then the home gives up the session
 *   (`sioHandOffFinish`: its queue and pending acks; the waiting GET gets a noop) and the room
 *   sends that queue, then what it held. Nobody is told the socket left or joined.
 * - a probe that fails or times out leaves the session polling in its home.
 */
export class HandOff {
  constructor(
    readonly host: HostContext,
    readonly engine: HandOffEngine,
    readonly adapter: Adapter,
    readonly acks: PendingAcks,
    readonly route: (nsp: string) => NamespaceRoute | undefined,
    /** The CONNECT a session is running now, if any (client.ts). */
    readonly connecting: (eid: string) => Promise<void> | undefined,
  ) {}

  // ── Home side ──────────────────────────────────────────────────────────────────────────

  /**
   * Where session `eid` should move at its upgrade, if anywhere — asked once no CONNECT is
   * running and the client has POSTed (waiting up to FIRST_POST_WAIT_MS for its first POST).
   */
  async upgradeTarget(eid: string): Promise<ObjectRef | undefined> {
    // Never so long that the session's first ping round could pass unanswered meanwhile.
    const until = Date.now() + Math.min(FIRST_POST_WAIT_MS, this.host.config.SOCKETIO_PING_INTERVAL / 4)
    for (;;) {
      const poll = this.engine.poll(eid)
      if (!poll) return undefined
      const running = this.connecting(eid)
      if (running) await running
      else if (poll.posts > 0 || Object.keys(poll.state.nsps).length || Date.now() >= until) break
      else await new Promise((r) => setTimeout(r, 10))
    }
    return this.target(eid)
  }

  /** The object session `eid` should move to at its upgrade, as it stands now. */
  target(eid: string): ObjectRef | undefined {
    const poll = this.engine.poll(eid)
    if (!poll || poll.upgrade !== 'polling') return undefined
    let target: ObjectRef | undefined
    for (const [nsp, m] of Object.entries(poll.state.nsps)) {
      if (m.f) return undefined
      if (!m.r) continue
      const owner = this.route(nsp)?.owner
      if (!owner || owner.kind !== 'room' || (target && !sameRef(target, owner))) return undefined
      target = owner
    }
    return target && !sameRef(target, this.host.me()) ? target : undefined
  }

  /** `to` opened a probe for session `eid`: answers whether it may go on. */
  start(eid: string, to: ObjectRef): boolean {
    const target = this.target(eid)
    return !!target && sameRef(target, to) && !!this.engine.poll(eid)?.step('open')
  }

  step(eid: string, input: 'probe' | 'fail'): void {
    this.engine.poll(eid)?.step(input)
  }

  state(eid: string): SessionState | undefined {
    const poll = this.engine.poll(eid)
    return poll?.upgrade === 'probed' ? poll.state : undefined
  }

  /** The client's `5` reached the room's object: the session leaves this one. */
  finish(eid: string): HandedOver | undefined {
    const poll = this.engine.poll(eid)
    if (!poll || !poll.step('upgrade')) return undefined
    const frames = poll.drain()
    // The client paused polling before its `5`; a GET still waiting is not from it.
    poll.close(EIO.noop, engineError(400, 3, 'Session upgraded to websocket'))
    this.engine.forgetPoll(eid)
    return { frames, acks: this.acks.export(eid) }
  }

  // ── Room side ──────────────────────────────────────────────────────────────────────────

  /** A WebSocket arrived for session `eid` of object `home`: whether the home lets it probe. */
  async begin(home: ObjectRef, eid: string): Promise<boolean> {
    try {
      return await this.host.stub(home).sioHandOffStart(eid, this.host.me())
    } catch (err) {
      this.host.log('warn', 'handoff', { eid, step: 'start', error: err })
      return false
    }
  }

  /** `2probe` was answered: the home releases its GETs. */
  async probed(session: WebSocketTransport): Promise<void> {
    await this.host.stub(homeOf(session)).sioHandOffStep(session.eid, 'probe')
  }

  /** The probe failed or closed before `5`: the session goes on polling in its home. */
  failed(session: WebSocketTransport): void {
    const home = homeOf(session)
    this.host.ctx.waitUntil(
      this.host
        .stub(home)
        .sioHandOffStep(session.eid, 'fail')
        .catch((err) => this.host.log('warn', 'handoff', { eid: session.eid, step: 'fail', error: err })),
    )
  }

  /** The client's `5`: the session moves here (see the class comment for the order of steps). */
  async upgrade(session: WebSocketTransport): Promise<void> {
    const home = homeOf(session)
    const eid = session.eid
    const stub = this.host.stub(home)
    const state = (await stub.sioHandOffState(eid)) as SessionState | null
    if (!state) return this.engine.failProbe(session, 1011, 'session gone')
    const me = this.host.me()
    const nsps: Record<string, Membership> = {}
    for (const [nsp, { r, ...m }] of Object.entries(state.nsps)) {
      nsps[nsp] = m
      if (r) this.adapter.removeFollower({ to: me, from: home, eid, nsp })
    }
    session.hold()
    const next: SessionState = { ...session.state, nsps, pong: Date.now() }
    if (state.q) next.q = state.q
    delete next.probing
    delete next.h
    session.save(next)
    for (const nsp of Object.keys(nsps)) await this.adapter.settled(nsp, home)
    const moved = await stub.sioHandOffFinish(eid)
    if (!moved) {
      session.release()
      return this.engine.failProbe(session, 1011, 'session gone')
    }
    this.acks.import(eid, moved.acks)
    session.release(moved.frames)
  }
}

function homeOf(session: WebSocketTransport): ObjectRef {
  return refFromKey(session.state.h!)
}
