/**
 * A webhook receiver for workerd tests: outbound POSTs to `http://hooks.test/<path>` are answered
 * here (test/fetch-intercept.ts, as test/livekit-double.ts answers LiveKit calls)
 * and recorded with their headers and raw body. The product signs, sends and retries for real; only
 * the network hop is replaced. Each path answers with the statuses it was scripted with, then 200.
 */
import { interceptFetch } from './fetch-intercept'

export const HOOKS_ORIGIN = 'http://hooks.test'

export interface Received {
  path: string
  at: number
  headers: Headers
  body: string
  events: { id: string; type: string; service: number | null; created_at: string; data: any }[]
}

export class WebhookReceiver {
  readonly requests: Received[] = []
  readonly #script = new Map<string, number[]>()

  /** The URL to register; answers `statuses` in turn, then 200. */
  url(path: string, statuses: number[] = []): string {
    this.#script.set(path, [...statuses])
    return `${HOOKS_ORIGIN}/${path}`
  }

  /** Changes what `path` answers from now on. */
  answer(path: string, statuses: number[]): void {
    this.#script.set(path, [...statuses])
  }

  of(path: string): Received[] {
    return this.requests.filter((r) => r.path === path)
  }

  /** Waits until `path` has received `count` requests (or fails after `timeoutMs`). */
  async waitFor(path: string, count = 1, timeoutMs = 20_000): Promise<Received[]> {
    const until = Date.now() + timeoutMs
    while (this.of(path).length < count) {
      if (Date.now() > until)
        throw new Error(`${path}: ${this.of(path).length} of ${count} deliveries after ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 50))
    }
    return this.of(path)
  }

  /** Waits until `path` has received `count` events in all (however they were batched). */
  async waitForEvents(path: string, count: number, timeoutMs = 20_000): Promise<Received['events']> {
    const until = Date.now() + timeoutMs
    const events = () => this.of(path).flatMap((r) => r.events)
    while (events().length < count) {
      if (Date.now() > until)
        throw new Error(`${path}: ${events().length} of ${count} events after ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 50))
    }
    return events()
  }

  async handle(request: Request): Promise<Response | undefined> {
    if (!request.url.startsWith(`${HOOKS_ORIGIN}/`)) return undefined
    const path = request.url.slice(HOOKS_ORIGIN.length + 1)
    const body = await request.text()
    this.requests.push({
      path,
      at: Date.now(),
      headers: request.headers,
      body,
      events: JSON.parse(body).events,
    })
    const status = this.#script.get(path)?.shift() ?? 200
    return new Response(status < 300 ? 'ok' : 'nope', { status })
  }
}

let installed: WebhookReceiver | undefined

/** Installs the receiver once per isolate (later calls return the same one). */
export function installWebhookReceiver(): WebhookReceiver {
  if (installed) return installed
  const receiver = new WebhookReceiver()
  interceptFetch((request) => receiver.handle(request))
  installed = receiver
  return receiver
}
