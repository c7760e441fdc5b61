import { SocketIoHost } from './socketio/host'

/** The Durable Object for a case queue (`queue` and `newqueue`), owning the Socket.IO namespaces `/queue` and `/newqueue`. */
export class CaseQueue extends SocketIoHost {
  protected readonly kind = 'queue'

  protected metricsOf() {
    return { kind: 'queue', protocol: 'socketio' } as const
  }
}
