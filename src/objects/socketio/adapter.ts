import { FanOut } from '../fanout'
import type { PendingAcks } from './acks'
import { encodeSio, encodeSioEvent, SIO, type EngineFrame } from './codec'
import type { HostContext } from './context'
import type { AckAsk, NamespaceHandler, NsData } from './namespace'
import type { RemoteFollow } from './realtime-types'
import { refFromKey, refKey, sameRef, type ObjectRef } from './refs'
import type { Membership } from './session'
import type { Transport } from './transport'

/** The sessions an adapter delivers to (the engine's). */
export interface Receivers {
  receivers(): readonly Transport[]
}

/** One item of a delivery to a following object: pre-encoded frames, or an event asking for acks. */
export type SioDelivery =
  { frames: EngineFrame[]; except?: string } | { event: string; args: unknown[]; ask: AckAsk }

/** Storage topic of a namespace in the fan-out table, and back. */
const topicOf = (nsp: string) => `sio:${nsp}`
const nspOf = (topic: string) => topic.slice('sio:'.length)

/**
 * Socket.IO's adapter across Durable Objects: a broadcast reaches this object's own sessions and,
 * through the fan-out module (../fanout.ts, shared with chats), every object following the
 * namespace — one ordered delivery per object and turn, frames encoded once. A holding object
 * subscribes to the namespace's owner (and to any other source a handler `follows`) when a socket
 * joins, and unsubscribes when it leaves; an object that answers a delivery with no subscriber
 * left is dropped. Server-initiated acks are asked here too (one ack id per broadcast and holding
 * object).
 */
export class Adapter {
  readonly #fanout: FanOut<SioDelivery>

  constructor(
    readonly host: HostContext,
    readonly sessions: Receivers,
    readonly acks: PendingAcks,
    readonly scheduleAlarm: (at: number) => void,
  ) {
    const source = () => refKey(host.me())
    this.#fanout = new FanOut<SioDelivery>(host.ctx.storage.sql, {
      send: (home, topic, items) => host.stub(refFromKey(home)).sioDeliver(source(), nspOf(topic), items),
      legacy: {
        table: 'sio_followers',
        copy: `INSERT OR IGNORE INTO fanout_followers (topic, home, member, conns)
          SELECT 'sio:' || nsp, CASE kind WHEN 'room' THEN 'r' WHEN 'notification' THEN 'n' ELSE 'q' END || name, eid, 1
          FROM sio_followers`,
      },
    })
  }

  // ── Broadcasting ───────────────────────────────────────────────────────────────────────

  /**
   * Emits `event` to every socket of `nsp`: this object's own sockets and, once per following
   * object, everyone it holds. With `ask`, each socket is asked for an ack. Returns the number of
   * local deliveries.
   */
  broadcastEvent(nsp: string, event: string, args: unknown[], except?: string, ask?: AckAsk): number {
    if (ask) {
      this.#fanout.publish(topicOf(nsp), { event, args, ask })
      return this.#deliverAsk(nsp, event, args, ask)
    }
    return this.broadcast(nsp, encodeSio({ type: SIO.EVENT, nsp, data: [event, ...args] }), except)
  }

  /** `broadcastEvent` of an `[event, ...args]` array the caller already JSON-encoded (no binary). */
  broadcastJson(nsp: string, json: string, except?: string): number {
    return this.broadcast(nsp, [encodeSioEvent(nsp, json)], except)
  }

  /** Sends pre-encoded frames to every socket of `nsp`, here and in following objects. */
  broadcast(nsp: string, frames: EngineFrame[], except?: string): number {
    this.#fanout.publish(topicOf(nsp), except === undefined ? { frames } : { frames, except })
    return this.#deliver(nsp, frames, except)
  }

  /**
   * One delivery from `source` (a refKey) for this object's sessions in `nsp`, in order. Answers
   * how many sessions here still subscribe to it (joined, or joining right now), whatever `except` skipped.
   */
  deliver(source: string, nsp: string, items: SioDelivery[], joining: number): number {
    for (const item of items) {
      if ('frames' in item) this.#deliver(nsp, item.frames, item.except, source)
      else this.#deliverAsk(nsp, item.event, item.args, item.ask, source)
    }
    let subscribers = joining
    const sessions = this.sessions.receivers()
    for (let i = 0; i < sessions.length; i++)
      if (wants(sessions[i].state.nsps[nsp], undefined, source)) subscribers++
    return subscribers
  }

  #deliver(nsp: string, frames: EngineFrame[], except?: string, source?: string): number {
    // By index, not for…of: no iterator per broadcast (see Engine.receivers).
    let sent = 0
    const sessions = this.sessions.receivers()
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i]
      if (!wants(s.state.nsps[nsp], except, source)) continue
      s.send(frames)
      sent++
    }
    return sent
  }

  /** Like #deliver, asking each session for an ack (one ack id for all of them). */
  #deliverAsk(nsp: string, event: string, args: unknown[], ask: AckAsk, source?: string): number {
    const targets: Transport[] = []
    for (const s of this.sessions.receivers())
      if (wants(s.state.nsps[nsp], undefined, source)) targets.push(s)
    if (!targets.length) return 0
    const frames = this.ask(
      nsp,
      targets.map((s) => s.eid),
      event,
      args,
      ask,
    )
    for (const s of targets) s.send(frames)
    return targets.length
  }

  /** Encodes `event` with a fresh ack id and records the ack each of `eids` owes (durably, until it expires). */
  ask(nsp: string, eids: string[], event: string, args: unknown[], ask: AckAsk): EngineFrame[] {
    const id = this.acks.nextId()
    const expires = Date.now() + this.host.config.SOCKETIO_ACK_TIMEOUT
    for (const eid of eids) this.acks.add(eid, nsp, id, ask, expires)
    this.scheduleAlarm(expires)
    return encodeSio({ type: SIO.EVENT, nsp, id, data: [event, ...args] })
  }

  /** Resolves once the deliveries already queued for `home` on `nsp` were sent. */
  settled(nsp: string, home: ObjectRef): Promise<void> {
    return this.#fanout.settled(topicOf(nsp), refKey(home))
  }

  // ── This object as a follower ──────────────────────────────────────────────────────────

  /** Subscribes this object to the sources `handler.follows` names; answers their keys, or undefined if one failed. */
  async follow(
    eid: string,
    nsp: string,
    handler: NamespaceHandler,
    data: NsData,
  ): Promise<string[] | undefined> {
    const me = this.host.me()
    const refs = (handler.follows?.(data) ?? []).filter((r) => !sameRef(r, me))
    try {
      await Promise.all(refs.map((to) => this.host.stub(to).sioFollow({ to, from: me, eid, nsp })))
    } catch (err) {
      this.host.log('error', 'sioFollow', { nsp, error: err })
      await this.unfollow(eid, nsp, refs.map(refKey))
      return undefined
    }
    return refs.map(refKey)
  }

  /** Unsubscribes session `eid` from the sources `keys` name (refKeys). */
  async unfollow(eid: string, nsp: string, keys: string[]): Promise<void> {
    const me = this.host.me()
    await Promise.all(
      keys.map((key) => {
        const to = refFromKey(key)
        return this.host
          .stub(to)
          .sioUnfollow({ to, from: me, eid, nsp })
          .catch((err) => this.host.log('warn', 'sioUnfollow', { nsp, error: err }))
      }),
    )
  }

  // ── This object as a source ────────────────────────────────────────────────────────────

  /** A socket another object holds receives this object's events on `nsp` from now on. */
  addFollower(req: RemoteFollow): void {
    this.#fanout.follow(topicOf(req.nsp), refKey(req.from), req.eid)
  }

  /** The socket stopped following (it left the namespace or closed). */
  removeFollower(req: RemoteFollow): void {
    this.#fanout.unfollow(topicOf(req.nsp), refKey(req.from), req.eid)
  }
}

/**
 * Whether a session with membership `m` gets a delivery: it joined the namespace, is not the
 * excluded socket, and follows `source` (a refKey; undefined: the object's own events).
 */
function wants(m: Membership | undefined, except: string | undefined, source: string | undefined): boolean {
  return !!m && m.sid !== except && (!source || !m.f || m.f.includes(source))
}
