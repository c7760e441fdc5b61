/**
 * A webhook receiver for workerd tests: outbound POSTs to `http://hooks.test/<path>` are answered
 * here (test/fetch-intercept.ts, as test/livekit-double.ts answers LiveKit calls)
 * and recorded with their headers and raw body. The product signs, sends and retries for real; only
 * the network hop is replaced. Each path answers with the statuses it was scripted with, then 200.
 */
import { afterAll, beforeAll } from 'vitest'
import { interceptFetch } from './fetch-intercept'
import { call, mintToken } from './helpers'

export const HOOKS_ORIGIN = 'http://hooks.test'

export interface Received {
  path: string
  at: number
  headers: Headers
  body: string
  events: { id: string; type: string; service: number | null; created_at: string; data: any }[]
}

/** One event as an endpoint received it. */
export type ReceivedEvent = Received['events'][number]

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

  /** The events `path` received that `match` (all without it), in arrival order, however batched. */
  eventsAt(path: string, match: (e: ReceivedEvent) => boolean = () => true): ReceivedEvent[] {
    return this.of(path).flatMap((r) => r.events.filter(match))
  }

  /**
   * Waits until `path` has received `count` events that `match` (all without it), however they
   * were batched, and answers them; fails after `timeoutMs` naming what did arrive.
   */
  async waitForEvents(
    path: string,
    count: number,
    match: (e: ReceivedEvent) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<ReceivedEvent[]> {
    const until = Date.now() + timeoutMs
    while (this.eventsAt(path, match).length < count) {
      if (Date.now() > until)
        throw new Error(
          `${path}: ${this.eventsAt(path, match).length} of ${count} events after ${timeoutMs} ms: ${JSON.stringify(this.eventsAt(path, match))}`,
        )
      await new Promise((r) => setTimeout(r, 50))
    }
    return this.eventsAt(path, match)
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

/** A webhook endpoint registered at the receiver for the tests of one file. */
export interface TestEndpoint {
  receiver: WebhookReceiver
  /** The receiver path its deliveries arrive at. */
  path: string
  /** The events it received that `match` (all without it). */
  events(match?: (e: ReceivedEvent) => boolean): ReceivedEvent[]
  /** Waits for `count` events that `match` and answers them (see `WebhookReceiver.waitForEvents`). */
  waitFor(match: (e: ReceivedEvent) => boolean, count?: number): Promise<ReceivedEvent[]>
}

/**
 * Registers an endpoint (`POST /api/v1/admin/webhooks`, batches of up to 100) for `events` at a
 * fresh receiver path named after `tag` before the tests of the file, and deletes it after them.
 */
export function useWebhookEndpoint(tag: string, events: string[]): TestEndpoint {
  const receiver = installWebhookReceiver()
  const path = `${tag}-${Date.now().toString(36)}`
  let admin = ''
  let id = ''
  beforeAll(async () => {
    admin = await mintToken('admin')
    const res = await call('/api/v1/admin/webhooks', {
      method: 'POST',
      token: admin,
      json: { url: receiver.url(path), max_batch_size: 100, events },
    })
    if (res.status !== 201)
      throw new Error(`webhook endpoint not registered: ${res.status} ${await res.text()}`)
    id = ((await res.json()) as { data: { id: string } }).data.id
  })
  afterAll(async () => {
    if (id) await call(`/api/v1/admin/webhooks/${id}`, { method: 'DELETE', token: admin })
  })
  return {
    receiver,
    path,
    events: (match) => receiver.eventsAt(path, match),
    waitFor: (match, count = 1) => receiver.waitForEvents(path, count, match),
  }
}
