import type { Connection } from '../channel'
import type { EngineFrame } from './codec'
import type { SessionState } from './session'

/**
 * One Engine.IO session's way to the client (engine.io's `Transport`): the session's id, its
 * state (namespaces, query, pong time) and how frames reach the client. Two kinds: a hibernatable
 * WebSocket (`WebSocketTransport`) and HTTP long-polling (`PollingTransport`, polling.ts).
 */
export interface Transport {
  readonly transport: 'websocket' | 'polling'
  /** Engine.IO session id. */
  readonly eid: string
  readonly state: SessionState
  /** Queues or writes frames to the client, in order. */
  send(frames: EngineFrame[]): void
  /** Replaces the session's state (a WebSocket's attachment, a polling session's memory). */
  save(state: SessionState): void
  /** Resolves when frames sent from now on reach the client apart from those sent so far (`WRITE_APART_MS`). */
  apart(): Promise<void>
}

/**
 * How long a WebSocket session waits before writing what must not share a read with its last
 * frames (a CONNECT answer and the namespace handler's first emits). engine.io writes a socket's
 * next packets only once its last write completed, so they reach the client in reads of their own;
 * workerd's `ws.send` reports no completion, and frames sent within a millisecond or two often
 * arrive in one read through `wrangler dev`'s proxy. Clients that take one message per one-shot
 * listener (the official protocol suite's `waitFor`, over `ws`) lose the second of such a pair.
 */
export const WRITE_APART_MS = 2

/** What a WebSocket transport needs from the object holding its connection. */
export interface SocketIo {
  send(conn: Connection<SessionState>, frame: EngineFrame): void
  save(conn: Connection<SessionState>, state: SessionState): void
}

/** A WebSocket-transport session: a Channel connection and its attachment (survives hibernation). */
export class WebSocketTransport implements Transport {
  readonly transport = 'websocket'
  /** Frames held back while a session handed over from another object waits for that object's queue. */
  #held: EngineFrame[] | undefined
  constructor(
    readonly conn: Connection<SessionState>,
    readonly io: SocketIo,
  ) {}
  get eid(): string {
    return this.conn.state.eid
  }
  get state(): SessionState {
    return this.conn.state
  }
  send(frames: EngineFrame[]): void {
    if (this.#held) this.#held.push(...frames)
    else for (const f of frames) this.io.send(this.conn, f)
  }
  /** From now on frames wait (in order) until `release`. */
  hold(): void {
    this.#held ??= []
  }
  /** Sends `first`, then everything held, and stops holding. */
  release(first: EngineFrame[] = []): void {
    const held = this.#held ?? []
    this.#held = undefined
    this.send([...first, ...held])
  }
  save(state: SessionState): void {
    this.io.save(this.conn, state)
  }
  apart(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, WRITE_APART_MS))
  }
}
