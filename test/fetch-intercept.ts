/**
 * Answers some of this isolate's outbound fetches in-process: `handle` gets a clone of each
 * request and returns a Response for the ones it owns, undefined for the rest (which go out as
 * usual). The code under test builds and sends every request itself; only the network hop is
 * replaced. Interceptors stack: each installed one wraps the fetch before it.
 */
export function interceptFetch(handle: (request: Request) => Promise<Response | undefined>): void {
  const realFetch = globalThis.fetch
  globalThis.fetch = async function interceptedFetch(input: RequestInfo | URL, init?: RequestInit) {
    const request = new Request(input, init)
    return (await handle(request.clone())) ?? realFetch(request)
  } as typeof fetch
}
