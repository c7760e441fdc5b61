import type { Env } from '../../worker/env'
import { fromBase64Url, toBase64Url } from '../../worker/lib/base64'

/** The kinds of object that host Socket.IO sessions or own namespaces. */
export type HostKind = 'room' | 'notification' | 'queue'

/** Names one object: its kind and its `getByName` name. */
export interface ObjectRef {
  kind: HostKind
  name: string
}

const KIND_CHAR: Record<HostKind, string> = { room: 'r', notification: 'n', queue: 'q' }
const CHAR_KIND: Record<string, HostKind> = { r: 'room', n: 'notification', q: 'queue' }

export const refKey = (ref: ObjectRef) => KIND_CHAR[ref.kind] + ref.name
/** The ref a `refKey` names. */
export const refFromKey = (key: string): ObjectRef => ({
  kind: CHAR_KIND[key.charAt(0)]!,
  name: key.slice(1),
})
export const sameRef = (a: ObjectRef | undefined, b: ObjectRef | undefined) =>
  !!a && !!b && a.kind === b.kind && a.name === b.name

/** The RPC surface every Socket.IO host object offers (see host.ts). */
export type HostStub = DurableObjectStub<import('./host').SocketIoHost>

/** A stub for the object `ref` names. */
export function hostStub(env: Env, ref: ObjectRef): HostStub {
  const ns =
    ref.kind === 'room'
      ? env.CONFERENCE_ROOM
      : ref.kind === 'notification'
        ? env.NOTIFICATION_CHANNEL
        : env.CASE_QUEUE
  return ns.getByName(ref.name) as unknown as HostStub
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const b64url = (text: string) => toBase64Url(encoder.encode(text))

const unb64url = (text: string) => decoder.decode(fromBase64Url(text))

/**
 * An Engine.IO session id that names the object holding the session, so the Worker routes every
 * later request (`&sid=`) without a lookup: `<kind char><base64url(name)>.<random>`.
 */
export function newEngineSid(host: ObjectRef): string {
  const rand = crypto.getRandomValues(new Uint8Array(12))
  let r = ''
  for (const b of rand) r += b.toString(36).padStart(2, '0')
  return `${KIND_CHAR[host.kind]}${b64url(host.name)}.${r}`
}

/** The object an Engine.IO session id names, or undefined for a malformed one. */
export function refFromSid(sid: string): ObjectRef | undefined {
  const dot = sid.indexOf('.')
  const kind = CHAR_KIND[sid.charAt(0)]
  if (dot < 2 || !kind) return undefined
  try {
    return { kind, name: unb64url(sid.slice(1, dot)) }
  } catch {
    return undefined
  }
}
