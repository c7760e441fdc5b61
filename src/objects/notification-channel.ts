import { SocketIoHost } from './socketio/host'

/** The Durable Object for one notification channel; `broadcast` owns the Socket.IO namespace `/notification`. */
export class NotificationChannel extends SocketIoHost {
  protected readonly kind = 'notification'

  protected metricsOf() {
    return { kind: 'notification', protocol: 'socketio' } as const
  }
}
