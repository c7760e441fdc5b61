/**
 * The `101 Switching Protocols` answer for a WebSocket an object accepted — the one place every
 * protocol's sockets are answered from, so all of them negotiate the same way.
 *
 * Compression: browsers and `ws` offer permessage-deflate (RFC 7692) on every connection, and
 * workerd accepts the offer unless the response names its own extensions. Switchboard declines it
 * by default (`WS_COMPRESSION=false`), as Socket.IO's own server has since engine.io 4
 * (`perMessageDeflate: false`): a compressing socket keeps a deflate context for its whole life,
 * and a broadcast then compresses the same frame once per socket — measured in `bench/`
 * (docs/benchmarks.md, "WebSockets do not compress") as about half of a fan-out's CPU. With
 * `WS_COMPRESSION=true` the client's offer is accepted as workerd negotiates it.
 *
 * How it declines: workerd passes a response's `Sec-WebSocket-Extensions` to the HTTP layer,
 * which keeps only the extensions it implements; naming none of them leaves the connection
 * uncompressed, and the header is not sent at all (test/e2e checks what a real client sees).
 */
const DECLINE: HeadersInit = { 'Sec-WebSocket-Extensions': 'none' }

export function upgradeResponse(client: WebSocket, compression: boolean): Response {
  return new Response(null, { status: 101, webSocket: client, headers: compression ? undefined : DECLINE })
}
