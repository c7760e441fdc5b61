/**
 * Engine.IO v4 and Socket.IO v5 wire codecs (socket.io's docs/engine.io-protocol/v4-current.md and
 * docs/socket.io-protocol/v5-current.md). Pure functions: no I/O, usable anywhere.
 */
import { fromBase64, toBase64 } from '../../worker/lib/base64'
import { isPlainObject } from '../../worker/lib/plain-object'

/** Engine.IO packet types. */
export const EIO = {
  open: '0',
  close: '1',
  ping: '2',
  pong: '3',
  message: '4',
  upgrade: '5',
  noop: '6',
} as const

/** Socket.IO packet types. */
export const SIO = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const
export type SioType = (typeof SIO)[keyof typeof SIO]

/** A decoded Socket.IO packet; `data` has its binary placeholders already replaced. */
export interface SioPacket {
  type: SioType
  nsp: string
  id?: number
  data?: unknown
  /** Binary attachments announced in the header (BINARY_EVENT / BINARY_ACK). */
  attachments?: number
}

/** One outgoing Engine.IO packet as it travels on a WebSocket: text (type prefix included) or raw binary. */
export type EngineFrame = string | ArrayBuffer

/** Polling payload record separator (Engine.IO v4). */
export const RECORD_SEPARATOR = '\x1e'

export class CodecError extends Error {
  override name = 'CodecError'
}

// ── Socket.IO ───────────────────────────────────────────────────────────────────────────────

/** Encodes a Socket.IO packet into Engine.IO message frames: one text frame, then one raw frame per attachment. */
export function encodeSio(packet: Omit<SioPacket, 'attachments'>): EngineFrame[] {
  const buffers: ArrayBuffer[] = []
  let type = packet.type
  let data = packet.data
  if ((type === SIO.EVENT || type === SIO.ACK) && hasBinary(data)) {
    data = deconstruct(data, buffers)
    type = type === SIO.EVENT ? SIO.BINARY_EVENT : SIO.BINARY_ACK
  }
  let out = EIO.message + type
  if (type === SIO.BINARY_EVENT || type === SIO.BINARY_ACK) out += buffers.length + '-'
  if (packet.nsp && packet.nsp !== '/') out += packet.nsp + ','
  if (packet.id !== undefined) out += packet.id
  if (data !== undefined) out += JSON.stringify(data)
  return [out, ...buffers]
}

/**
 * The Engine.IO frame of an EVENT packet whose data (`[event, ...args]`) is already JSON text
 * without binary values: `encodeSio` without re-encoding the payload.
 */
export function encodeSioEvent(nsp: string, json: string): string {
  return nsp && nsp !== '/' ? `${EIO.message}${SIO.EVENT}${nsp},${json}` : `${EIO.message}${SIO.EVENT}${json}`
}

/** Decodes the text part of a Socket.IO packet (the Engine.IO `4` already stripped). Throws CodecError. */
export function decodeSio(text: string): SioPacket {
  let i = 0
  const type = Number(text.charAt(0))
  if (!(text.length > 0 && type >= 0 && type <= 6))
    throw new CodecError(`unknown packet type ${text.charAt(0)}`)
  i++
  const packet: SioPacket = { type: type as SioType, nsp: '/' }
  if (type === SIO.BINARY_EVENT || type === SIO.BINARY_ACK) {
    const dash = text.indexOf('-', i)
    const count = text.slice(i, dash)
    if (dash < 0 || !/^\d+$/.test(count)) throw new CodecError('malformed attachment count')
    packet.attachments = Number(count)
    i = dash + 1
  }
  if (text.charAt(i) === '/') {
    const comma = text.indexOf(',', i)
    const end = comma < 0 ? text.length : comma
    packet.nsp = text.slice(i, end)
    i = comma < 0 ? end : end + 1
  }
  let digits = ''
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) digits += text.charAt(i++)
  if (digits) {
    packet.id = Number(digits)
    if (!Number.isSafeInteger(packet.id)) throw new CodecError('ack id beyond the safe integers')
  }
  if (i < text.length) {
    try {
      packet.data = JSON.parse(text.slice(i))
    } catch {
      throw new CodecError('malformed JSON payload')
    }
  }
  if (!validPayload(packet)) throw new CodecError('invalid payload for packet type')
  return packet
}

function validPayload(p: SioPacket): boolean {
  switch (p.type) {
    case SIO.CONNECT:
      return p.data === undefined || isPlainObject(p.data)
    case SIO.DISCONNECT:
      return p.data === undefined
    case SIO.CONNECT_ERROR:
      return typeof p.data === 'string' || isPlainObject(p.data)
    case SIO.EVENT:
    case SIO.BINARY_EVENT:
      return Array.isArray(p.data) && p.data.length > 0 && typeof p.data[0] === 'string'
    default:
      return Array.isArray(p.data)
  }
}

/** Replaces binary values with `{_placeholder:true,num}` and collects them, in order. */
function deconstruct(value: unknown, buffers: ArrayBuffer[]): unknown {
  if (value instanceof ArrayBuffer) {
    buffers.push(value)
    return { _placeholder: true, num: buffers.length - 1 }
  }
  if (ArrayBuffer.isView(value)) {
    const copy = new Uint8Array(value.byteLength)
    copy.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
    buffers.push(copy.buffer)
    return { _placeholder: true, num: buffers.length - 1 }
  }
  if (Array.isArray(value)) return value.map((v) => deconstruct(v, buffers))
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = deconstruct(v, buffers)
    return out
  }
  return value
}

/** Puts the received attachments back where their placeholders are. Throws CodecError on a bad index. */
export function reconstruct(value: unknown, buffers: ArrayBuffer[]): unknown {
  if (Array.isArray(value)) return value.map((v) => reconstruct(v, buffers))
  if (isPlainObject(value)) {
    if (value._placeholder === true) {
      const n = value.num
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= buffers.length)
        throw new CodecError('bad attachment placeholder')
      return buffers[n]
    }
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = reconstruct(v, buffers)
    return out
  }
  return value
}

/** True when `value` holds an ArrayBuffer or a typed array anywhere (depth-limited). */
export function hasBinary(value: unknown, depth = 0): boolean {
  if (depth > 32 || value === null || typeof value !== 'object') return false
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true
  if (Array.isArray(value)) return value.some((v) => hasBinary(v, depth + 1))
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false
  return Object.values(value).some((v) => hasBinary(v, depth + 1))
}

// ── Engine.IO ───────────────────────────────────────────────────────────────────────────────

/** The Engine.IO handshake packet. */
export function openPacket(opts: {
  sid: string
  upgrades: string[]
  pingInterval: number
  pingTimeout: number
  maxPayload: number
}): string {
  return EIO.open + JSON.stringify(opts)
}

/** Joins frames into one HTTP long-polling payload (binary frames as `b<base64>`). */
export function encodePayload(frames: EngineFrame[]): string {
  return frames
    .map((f) => (typeof f === 'string' ? f : 'b' + toBase64(new Uint8Array(f))))
    .join(RECORD_SEPARATOR)
}

/** Splits an HTTP long-polling payload into frames (binary records back to ArrayBuffers). */
export function decodePayload(payload: string): EngineFrame[] {
  if (payload === '') return []
  return payload.split(RECORD_SEPARATOR).map((r) => (r.charAt(0) === 'b' ? recordBytes(r.slice(1)) : r))
}

function recordBytes(b64: string): ArrayBuffer {
  try {
    return fromBase64(b64).buffer as ArrayBuffer
  } catch {
    throw new CodecError('malformed base64 record')
  }
}
