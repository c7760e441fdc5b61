import { expect } from 'vitest'
import { ChatClient } from './chat-client'
import { call, json, mintToken } from './helpers'

/** Calls `/api/v1/live{path}`. */
export const liveApi = (path: string, init: Parameters<typeof call>[1] = {}) =>
  call(`/api/v1/live${path}`, init)

/** Creates a live session owned by `ownerToken` (a mentor's or an admin's). */
export async function createSession(ownerToken: string, body: Record<string, unknown> = {}) {
  const res = await liveApi('/sessions', {
    method: 'POST',
    token: ownerToken,
    json: { title: 'Briefing', ...body },
  })
  expect(res.status).toBe(201)
  const data = (await json(res)).data as { session_id: string }
  return { id: data.session_id }
}

/** A member who has not joined anything yet (a minted token; no account row needed). */
export async function newcomer(tag: string) {
  const id = `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
  return { id, token: await mintToken('member', id) }
}

/** A newcomer who joined session `id` as a viewer. */
export async function viewer(id: string, tag = 'viewer') {
  const v = await newcomer(tag)
  const res = await liveApi(`/sessions/${id}/join`, { method: 'POST', token: v.token, json: {} })
  expect(res.status).toBe(200)
  return v
}

/** Opens the session's event socket; `client` is undefined when refused (see `res`). */
export async function openLiveSocket(id: string, token: string | undefined) {
  const q = token ? `?token=${encodeURIComponent(token)}` : ''
  const res = await liveApi(`/sessions/${id}/ws${q}`, { headers: { Upgrade: 'websocket' } })
  if (res.status !== 101 || !res.webSocket) return { res }
  res.webSocket.accept()
  return { res, client: new ChatClient(res.webSocket) }
}

/** Opens the session's event socket or throws. */
export async function connectLive(id: string, token: string) {
  const { client, res } = await openLiveSocket(id, token)
  if (!client) throw new Error(`refused: ${res.status} ${await res.text()}`)
  return client
}

/** Waits (up to 2 s) for the socket to close; answers its close code and reason. */
export async function closedWith(c: ChatClient) {
  for (let i = 0; i < 100 && !c.closed; i++) await new Promise((r) => setTimeout(r, 20))
  return c.closed
}
