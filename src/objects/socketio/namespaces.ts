import { AppError } from '../../worker/lib/errors'
import { adminNamespace } from './admin-namespace'
import { conformanceNamespace } from './conformance-namespace'
import { mobileNamespace } from './mobile-namespace'
import type { NamespaceHandler } from './namespace'
import { notificationNamespace } from './notification-namespace'
import { queueNamespace } from './queue-namespace'
import type { ObjectRef } from './refs'
import { roomNamespace } from './room-namespace'

/** Where a namespace's handler runs: `owner` (an object) or, when absent, in whichever object holds the socket. */
export interface NamespaceRoute {
  owner?: ObjectRef
  handler: NamespaceHandler
}

/** `/`: accepted (socket.io servers accept it) but it has no events. */
const mainNamespace: NamespaceHandler = {
  connect: () => ({}),
  event(c, _sock, name) {
    throw new AppError('bad_request', `Unknown event "${name}" on ${c.nsp}`)
  },
}

/** Room names usable as namespaces: no slash, not starting with `~` (reserved for home objects). */
export const ROOM_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,127}$/

const FIXED: Record<string, NamespaceRoute> = {
  '/': { handler: mainNamespace },
  '/admin': { handler: adminNamespace },
  '/mobile': { handler: mobileNamespace },
  '/notification': { handler: notificationNamespace },
  '/queue': { owner: { kind: 'queue', name: 'queue' }, handler: queueNamespace },
  '/newqueue': { owner: { kind: 'queue', name: 'newqueue' }, handler: queueNamespace },
}

/** SOCKETIO_CONFORMANCE=true: only the protocol suite's reference namespaces exist. */
const CONFORMANCE: Record<string, NamespaceRoute> = {
  '/': { handler: conformanceNamespace },
  '/custom': { handler: conformanceNamespace },
}

/**
 * Which object owns `nsp` and which handler serves it; undefined for an invalid namespace.
 * `conformance` (SOCKETIO_CONFORMANCE) swaps every namespace for the protocol suite's echoes.
 */
export function namespaceRoute(nsp: string, conformance = false): NamespaceRoute | undefined {
  if (conformance) return CONFORMANCE[nsp]
  const fixed = FIXED[nsp]
  if (fixed) return fixed
  const room = nsp.slice(1)
  if (nsp.charAt(0) !== '/' || !ROOM_NAME.test(room)) return undefined
  return { owner: { kind: 'room', name: room }, handler: roomNamespace }
}
