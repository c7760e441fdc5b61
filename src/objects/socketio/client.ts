import { AppError } from '../../worker/lib/errors'
import type { Refusal } from '../channel'
import { CodecError, decodeSio, reconstruct, SIO, type EngineFrame, type SioPacket } from './codec'
import type { HostContext } from './context'
import { errorEvent } from './errors'
import type { NamespaceRunner } from './namespace-runner'
import type { Transport } from './transport'

/** A Socket.IO event or ack packet's namespace (`/nsp,`) and ack id, read without decoding it. */
const PACKET_REF = /^4[2356](?:\d+-)?(\/[^,]{0,200},)?(\d{1,16})?/

/** What the client needs from the engine under it. */
export interface ClientEngine {
  session(eid: string): Transport | undefined
  protocolError(session: Transport, why: string): Promise<void>
}

/**
 * Socket.IO's `Client` for every session of one object: decodes Socket.IO packets, gathers binary
 * attachments (bounded in count and bytes), and routes each packet to the namespace runner —
 * CONNECTs of one session one after another, so each is admitted against what the previous left.
 * A packet the protocol does not allow closes the connection (engine.protocolError), as socket.io does.
 */
export class SioClient {
  /** Binary packets waiting for their attachments, by engine session id. */
  readonly #partial = new Map<string, { packet: SioPacket; buffers: ArrayBuffer[]; bytes: number }>()
  /** The CONNECT each session is running (they run one at a time). */
  readonly #connecting = new Map<string, Promise<void>>()

  constructor(
    readonly host: HostContext,
    readonly engine: ClientEngine,
    readonly runner: NamespaceRunner,
  ) {}

  /** An Engine.IO message: a Socket.IO packet's text, or one binary attachment. */
  async message(session: Transport, data: EngineFrame): Promise<void> {
    if (typeof data !== 'string') return this.#onAttachment(session, data)
    let packet: SioPacket
    try {
      packet = decodeSio(data)
    } catch (err) {
      const msg = err instanceof CodecError ? err.message : 'malformed packet'
      return this.engine.protocolError(session, `Malformed Socket.IO packet: ${msg}`)
    }
    if (packet.attachments !== undefined) {
      const max = this.host.config.SOCKETIO_MAX_ATTACHMENTS
      if (packet.attachments > max) return this.engine.protocolError(session, `More than ${max} attachments`)
      this.#partial.set(session.eid, { packet, buffers: [], bytes: data.length })
      if (packet.attachments > 0) return
      return this.#onAttachment(session)
    }
    await this.#dispatch(session, packet)
  }

  /**
   * A message the limits refused (engine frame, as the client sent it): an error event on its
   * namespace and, when it asked for an ack, the ack `{error}`.
   */
  refuse(session: Transport, frame: EngineFrame, refused: Refusal): void {
    const ref = typeof frame === 'string' ? PACKET_REF.exec(frame) : null
    const nsp = ref?.[1] ? ref[1].slice(0, -1) : ref ? '/' : firstNsp(session)
    const id = ref?.[2] ? Number(ref[2]) : undefined
    session.send(
      errorEvent(nsp, new AppError(refused.code, refused.message), Number.isSafeInteger(id) ? id : undefined),
    )
  }

  /** The CONNECT session `eid` is running now (CONNECTs run one at a time), if any. */
  connecting(eid: string): Promise<void> | undefined {
    return this.#connecting.get(eid)
  }

  /** The session ended: a packet still waiting for attachments is dropped. */
  ended(eid: string): void {
    this.#partial.delete(eid)
  }

  /** One binary attachment (none: a binary packet that announced zero); the packet runs once all came. */
  async #onAttachment(session: Transport, buffer?: ArrayBuffer): Promise<void> {
    const partial = this.#partial.get(session.eid)
    if (!partial) return this.engine.protocolError(session, 'Unexpected binary frame')
    const max = this.host.config.SOCKETIO_MAX_PAYLOAD
    if (buffer) {
      partial.buffers.push(buffer)
      partial.bytes += buffer.byteLength
      if (partial.bytes > max) {
        this.#partial.delete(session.eid)
        return this.engine.protocolError(session, `Packet exceeds ${max} bytes`)
      }
    }
    if (partial.buffers.length < (partial.packet.attachments ?? 0)) return
    this.#partial.delete(session.eid)
    const packet = partial.packet
    try {
      packet.data = reconstruct(packet.data, partial.buffers)
    } catch (err) {
      return this.engine.protocolError(session, (err as Error).message)
    }
    packet.type = packet.type === SIO.BINARY_EVENT ? SIO.EVENT : SIO.ACK
    await this.#dispatch(session, packet)
  }

  async #dispatch(session: Transport, packet: SioPacket): Promise<void> {
    switch (packet.type) {
      case SIO.CONNECT:
        return this.#serialConnect(session, packet.nsp, (packet.data as Record<string, unknown>) ?? {})
      case SIO.DISCONNECT:
        return this.runner.leave(session, packet.nsp)
      case SIO.EVENT:
        return this.runner.event(session, packet)
      case SIO.ACK:
        return this.runner.ack(session, packet)
      default:
        session.send(
          errorEvent(packet.nsp, { code: 'bad_request', message: 'Clients may not send CONNECT_ERROR' }),
        )
    }
  }

  /**
   * One session's CONNECTs run one after another, so each is admitted against the state the
   * previous ones left (namespace count, attachment room) — all or nothing, never half.
   */
  #serialConnect(session: Transport, nsp: string, auth: Record<string, unknown>): Promise<void> {
    const eid = session.eid
    const before = this.#connecting.get(eid) ?? Promise.resolve()
    const run = before.then(() => {
      const current = this.engine.session(eid)
      return current ? this.runner.connect(current, nsp, auth) : undefined
    })
    const tail = run.catch(() => undefined)
    this.#connecting.set(eid, tail)
    void tail.then(() => {
      if (this.#connecting.get(eid) === tail) this.#connecting.delete(eid)
    })
    return run
  }
}

function firstNsp(session: Transport): string {
  return Object.keys(session.state.nsps)[0] ?? '/'
}
