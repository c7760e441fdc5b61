/**
 * A LiveKit server double for workerd tests. No LiveKit server can run here, so this speaks the
 * part of LiveKit's server API the product uses — Twirp JSON over HTTP,
 * `POST {node}/twirp/livekit.RoomService/<Method>` and `/twirp/livekit.Egress/<Method>` — the way
 * the real server does:
 *
 * - every call must carry `Authorization: Bearer <JWT>` signed HS256 with the node's secret, `iss` =
 *   the node's API key, unexpired (401 `unauthenticated` otherwise);
 * - the JWT's `video` grant must hold what the method needs — `roomCreate` (CreateRoom,
 *   DeleteRoom), `roomList` (ListRooms), `roomAdmin` + `room` equal to the body's room
 *   (participant and metadata calls), `roomRecord` (Egress) — 403 `permission_denied` otherwise;
 * - requests are read in either JSON casing (the SDK sends camelCase), replies are snake_case
 *   with enum names and 64-bit numbers as strings; errors are `{code, msg}` with Twirp's statuses.
 *
 * It is wired in by replacing `globalThis.fetch` in the test isolate for the configured nodes'
 * origins only: the product's own code and the real `livekit-server-sdk` build, sign and send
 * every request and parse every reply; only the network hop is replaced. A node can be told to
 * stop answering (`setDown`): its fetches then fail like a dead host.
 */
import { env } from 'cloudflare:workers'
import { jwtVerify } from 'jose'
import { AccessToken } from 'livekit-server-sdk'
import { liveKitNodes, loadConfig, type LiveKitNodeConfig } from '../src/worker/config'
import { interceptFetch } from './fetch-intercept'
import { call } from './helpers'

type Json = Record<string, any>

export interface DoubleTrack {
  sid: string
  type: 'AUDIO' | 'VIDEO'
  source: 'CAMERA' | 'MICROPHONE' | 'SCREEN_SHARE'
  name: string
  muted: boolean
}

export interface DoubleParticipant {
  sid: string
  identity: string
  name: string
  metadata: string
  joined_at: string
  permission: Json
  tracks: DoubleTrack[]
}

export interface DoubleRoom {
  sid: string
  name: string
  empty_timeout: number
  max_participants: number
  metadata: string
  creation_time: string
  participants: Map<string, DoubleParticipant>
}

export interface DoubleEgress {
  egress_id: string
  room_id: string
  room_name: string
  status:
    | 'EGRESS_STARTING'
    | 'EGRESS_ACTIVE'
    | 'EGRESS_ENDING'
    | 'EGRESS_COMPLETE'
    | 'EGRESS_FAILED'
    | 'EGRESS_ABORTED'
  started_at: string
  ended_at: string
  updated_at: string
  error: string
  kind: 'room_composite' | 'track_composite'
  request: Json
  file_results: Json[]
}

/** One node of the double: its credentials and in-memory state. */
export interface DoubleNode extends LiveKitNodeConfig {
  down: boolean
  rooms: Map<string, DoubleRoom>
  egresses: Map<string, DoubleEgress>
}

/** A call the double received, after authentication. */
export interface DoubleCall {
  node: string
  service: 'RoomService' | 'Egress'
  method: string
  body: Json
  grant: Json
  status: number
}

type Need = { grant: 'roomCreate' | 'roomList' | 'roomAdmin' | 'roomRecord'; room?: string }

/** The grant each method needs, from the request body (as LiveKit's server checks them). */
const NEEDS: Record<string, (b: Json) => Need> = {
  'RoomService/CreateRoom': () => ({ grant: 'roomCreate' }),
  'RoomService/DeleteRoom': () => ({ grant: 'roomCreate' }),
  'RoomService/ListRooms': () => ({ grant: 'roomList' }),
  'RoomService/UpdateRoomMetadata': (b) => ({ grant: 'roomAdmin', room: b.room }),
  'RoomService/ListParticipants': (b) => ({ grant: 'roomAdmin', room: b.room }),
  'RoomService/GetParticipant': (b) => ({ grant: 'roomAdmin', room: b.room }),
  'RoomService/RemoveParticipant': (b) => ({ grant: 'roomAdmin', room: b.room }),
  'RoomService/MutePublishedTrack': (b) => ({ grant: 'roomAdmin', room: b.room }),
  'RoomService/UpdateParticipant': (b) => ({ grant: 'roomAdmin', room: b.room }),
  'Egress/StartRoomCompositeEgress': () => ({ grant: 'roomRecord' }),
  'Egress/StartTrackCompositeEgress': () => ({ grant: 'roomRecord' }),
  'Egress/StopEgress': () => ({ grant: 'roomRecord' }),
  'Egress/ListEgress': () => ({ grant: 'roomRecord' }),
}

class TwirpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    msg: string,
  ) {
    super(msg)
  }
}
const notFound = (what: string) => new TwirpFailure(404, 'not_found', `${what} does not exist`)
const invalid = (msg: string) => new TwirpFailure(400, 'invalid_argument', msg)

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
function toSnake(v: unknown): any {
  if (Array.isArray(v)) return v.map(toSnake)
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), toSnake(x)]))
  return v
}

let seq = 0
const sid = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(++seq).toString(36).padStart(4, '0')}`
const nowSeconds = () => String(Math.floor(Date.now() / 1000))
const nowNanos = () => `${Date.now()}000000`

/** The double itself. Create it with `installLiveKitDouble()`. */
export class LiveKitDouble {
  readonly nodes = new Map<string, DoubleNode>()
  readonly calls: DoubleCall[] = []
  #failNext = new Map<string, TwirpFailure>()

  constructor(nodes: LiveKitNodeConfig[]) {
    for (const n of nodes) this.nodes.set(n.name, this.#empty(n))
  }

  #empty(n: LiveKitNodeConfig): DoubleNode {
    return { ...n, down: false, rooms: new Map(), egresses: new Map() }
  }

  /** Forgets every room, participant, egress and recorded call; every node answers again. */
  reset() {
    for (const [name, n] of this.nodes) this.nodes.set(name, this.#empty(n))
    this.calls.length = 0
    this.#failNext.clear()
  }

  node(name = 'default'): DoubleNode {
    const n = this.nodes.get(name)
    if (!n) throw new Error(`LiveKit double has no node ${name}`)
    return n
  }

  /** Makes a node stop answering (its fetches throw like an unreachable host), or answer again. */
  setDown(name: string, down = true) {
    this.node(name).down = down
  }

  /** The next call of `method` (e.g. `RoomService/CreateRoom`) answers this Twirp error instead. */
  failNext(method: string, status = 500, code = 'internal', msg = 'injected failure') {
    this.#failNext.set(method, new TwirpFailure(status, code, msg))
  }

  /** Calls received, optionally only those of one `Service/Method`. */
  callsOf(method?: string) {
    return method ? this.calls.filter((c) => `${c.service}/${c.method}` === method) : this.calls
  }

  /** Which node holds a room, if any. */
  whereIs(room: string): DoubleNode | undefined {
    return [...this.nodes.values()].find((n) => n.rooms.has(room))
  }

  /** Simulates a client joining `room` on `node` (creating the room like LiveKit's auto-create). */
  join(
    room: string,
    identity: string,
    options: { node?: string; name?: string; tracks?: ('audio' | 'video')[] } = {},
  ): DoubleParticipant {
    const n = options.node ? this.node(options.node) : (this.whereIs(room) ?? this.node())
    const r = n.rooms.get(room) ?? this.#createRoom(n, { name: room })
    const p: DoubleParticipant = {
      sid: sid('PA'),
      identity,
      name: options.name ?? identity,
      metadata: '',
      joined_at: nowSeconds(),
      permission: { can_subscribe: true, can_publish: true, can_publish_data: true },
      tracks: (options.tracks ?? []).map((t) => ({
        sid: sid('TR'),
        type: t === 'audio' ? 'AUDIO' : 'VIDEO',
        source: t === 'audio' ? 'MICROPHONE' : 'CAMERA',
        name: t,
        muted: false,
      })),
    }
    r.participants.set(identity, p)
    return p
  }

  /** Moves an egress along its lifecycle as the egress service would (for webhook tests). */
  setEgressStatus(egressId: string, status: DoubleEgress['status'], error = '') {
    for (const n of this.nodes.values()) {
      const e = n.egresses.get(egressId)
      if (!e) continue
      e.status = status
      e.error = error
      e.updated_at = nowNanos()
      if (status === 'EGRESS_COMPLETE' || status === 'EGRESS_FAILED' || status === 'EGRESS_ABORTED') {
        e.ended_at = nowNanos()
        if (status === 'EGRESS_COMPLETE') {
          const file = e.request.file_outputs?.[0] ?? e.request.file
          e.file_results = [
            {
              filename: file?.filepath ?? '',
              location: `${file?.s3?.endpoint ?? ''}/${file?.s3?.bucket ?? ''}/${file?.filepath ?? ''}`,
              size: '1048576',
              duration: '60000000000',
              started_at: e.started_at,
              ended_at: e.ended_at,
            },
          ]
        }
      }
      return e
    }
    throw new Error(`LiveKit double has no egress ${egressId}`)
  }

  /** The egress as a webhook carries it (`egressInfo`, camelCase like LiveKit's webhook JSON). */
  egressInfoJson(egressId: string): Json {
    for (const n of this.nodes.values()) {
      const e = n.egresses.get(egressId)
      if (e) return camel(this.#egressJson(e))
    }
    throw new Error(`LiveKit double has no egress ${egressId}`)
  }

  /** Answers one request the way a LiveKit node would; `undefined` when it is not for a node. */
  async handle(request: Request): Promise<Response | undefined> {
    const url = new URL(request.url)
    const n = [...this.nodes.values()].find((x) => new URL(x.url).host === url.host)
    if (!n) return undefined
    if (n.down) throw new TypeError(`Network connection lost (LiveKit double: node ${n.name} is down)`)
    const m = /^\/twirp\/livekit\.(RoomService|Egress)\/(\w+)$/.exec(url.pathname)
    try {
      if (!m || request.method !== 'POST')
        throw new TwirpFailure(404, 'bad_route', `no handler for ${url.pathname}`)
      const key = `${m[1]}/${m[2]}`
      const needs = NEEDS[key]
      if (!needs) throw new TwirpFailure(404, 'bad_route', `method ${key} is not implemented by the double`)
      let body: Json
      try {
        body = toSnake(JSON.parse((await request.text()) || '{}'))
      } catch {
        throw new TwirpFailure(400, 'malformed', 'request body is not JSON')
      }
      const grant = await this.#authorize(n, request.headers.get('authorization'), needs(body))
      const call: DoubleCall = {
        node: n.name,
        service: m[1] as DoubleCall['service'],
        method: m[2],
        body,
        grant,
        status: 200,
      }
      this.calls.push(call)
      const injected = this.#failNext.get(key)
      if (injected) {
        this.#failNext.delete(key)
        call.status = injected.status
        throw injected
      }
      try {
        return reply(200, this.#dispatch(n, key, body))
      } catch (err) {
        if (err instanceof TwirpFailure) call.status = err.status
        throw err
      }
    } catch (err) {
      if (err instanceof TwirpFailure) return reply(err.status, { code: err.code, msg: err.message })
      throw err
    }
  }

  async #authorize(n: DoubleNode, header: string | null, need: Need): Promise<Json> {
    const token = header?.match(/^Bearer (.+)$/)?.[1]
    if (!token) throw new TwirpFailure(401, 'unauthenticated', 'authorization header is missing')
    let payload: Json
    try {
      ;({ payload } = await jwtVerify(token, new TextEncoder().encode(n.apiSecret), {
        algorithms: ['HS256'],
      }))
    } catch (err) {
      throw new TwirpFailure(401, 'unauthenticated', `invalid token: ${(err as Error).message}`)
    }
    if (payload.iss !== n.apiKey) throw new TwirpFailure(401, 'unauthenticated', 'invalid API key')
    const grant: Json = payload.video ?? {}
    if (grant[need.grant] !== true)
      throw new TwirpFailure(403, 'permission_denied', `missing ${need.grant} grant`)
    if (need.grant === 'roomAdmin' && (!need.room || grant.room !== need.room))
      throw new TwirpFailure(403, 'permission_denied', `roomAdmin grant is not for room ${need.room}`)
    return grant
  }

  #createRoom(n: DoubleNode, b: Json): DoubleRoom {
    const r: DoubleRoom = {
      sid: sid('RM'),
      name: b.name,
      empty_timeout: Number(b.empty_timeout ?? 300),
      max_participants: Number(b.max_participants ?? 0),
      metadata: b.metadata ?? '',
      creation_time: nowSeconds(),
      participants: new Map(),
    }
    n.rooms.set(r.name, r)
    return r
  }

  #room(n: DoubleNode, name: string) {
    const r = n.rooms.get(name)
    if (!r) throw notFound(`room ${name}`)
    return r
  }

  #participant(n: DoubleNode, room: string, identity: string) {
    const p = this.#room(n, room).participants.get(identity)
    if (!p) throw notFound(`participant ${identity}`)
    return p
  }

  #dispatch(n: DoubleNode, key: string, b: Json): Json {
    switch (key) {
      case 'RoomService/CreateRoom': {
        if (!b.name) throw invalid('room name is required')
        return roomJson(n.rooms.get(b.name) ?? this.#createRoom(n, b))
      }
      case 'RoomService/ListRooms': {
        const names: string[] | undefined = b.names?.length ? b.names : undefined
        return { rooms: [...n.rooms.values()].filter((r) => !names || names.includes(r.name)).map(roomJson) }
      }
      case 'RoomService/DeleteRoom':
        this.#room(n, b.room)
        n.rooms.delete(b.room)
        return {}
      case 'RoomService/UpdateRoomMetadata': {
        const r = this.#room(n, b.room)
        r.metadata = b.metadata ?? ''
        return roomJson(r)
      }
      case 'RoomService/ListParticipants':
        return { participants: [...this.#room(n, b.room).participants.values()].map(participantJson) }
      case 'RoomService/GetParticipant':
        return participantJson(this.#participant(n, b.room, b.identity))
      case 'RoomService/RemoveParticipant':
        this.#participant(n, b.room, b.identity)
        this.#room(n, b.room).participants.delete(b.identity)
        return {}
      case 'RoomService/MutePublishedTrack': {
        const p = this.#participant(n, b.room, b.identity)
        const t = p.tracks.find((x) => x.sid === b.track_sid)
        if (!t) throw notFound(`track ${b.track_sid}`)
        t.muted = b.muted === true
        return { track: t }
      }
      case 'RoomService/UpdateParticipant': {
        const p = this.#participant(n, b.room, b.identity)
        if (b.metadata !== undefined && b.metadata !== '') p.metadata = b.metadata
        if (b.name) p.name = b.name
        if (b.permission) p.permission = { ...p.permission, ...b.permission }
        return participantJson(p)
      }
      case 'Egress/StartRoomCompositeEgress':
      case 'Egress/StartTrackCompositeEgress': {
        const r = this.#room(n, b.room_name)
        const file = b.file_outputs?.[0] ?? b.file
        if (!file?.filepath) throw invalid('no file output (file_outputs[0].filepath) given')
        if (!file.s3?.bucket) throw invalid('file output has no s3 bucket')
        const track = key.endsWith('TrackCompositeEgress')
        if (track && !b.audio_track_id && !b.video_track_id) throw invalid('no track ids given')
        const e: DoubleEgress = {
          egress_id: sid('EG'),
          room_id: r.sid,
          room_name: r.name,
          status: 'EGRESS_STARTING',
          started_at: nowNanos(),
          ended_at: '0',
          updated_at: nowNanos(),
          error: '',
          kind: track ? 'track_composite' : 'room_composite',
          request: b,
          file_results: [],
        }
        n.egresses.set(e.egress_id, e)
        return this.#egressJson(e)
      }
      case 'Egress/StopEgress': {
        const e = n.egresses.get(b.egress_id)
        if (!e) throw notFound(`egress ${b.egress_id}`)
        if (e.status === 'EGRESS_COMPLETE' || e.status === 'EGRESS_FAILED' || e.status === 'EGRESS_ABORTED')
          throw new TwirpFailure(
            412,
            'failed_precondition',
            `egress with status ${e.status} cannot be stopped`,
          )
        e.status = 'EGRESS_ENDING'
        e.updated_at = nowNanos()
        return this.#egressJson(e)
      }
      case 'Egress/ListEgress': {
        const items = [...n.egresses.values()].filter(
          (e) =>
            (!b.room_name || e.room_name === b.room_name) &&
            (!b.egress_id || e.egress_id === b.egress_id) &&
            (!b.active || e.status === 'EGRESS_STARTING' || e.status === 'EGRESS_ACTIVE'),
        )
        return { items: items.map((e) => this.#egressJson(e)) }
      }
    }
    throw new TwirpFailure(404, 'bad_route', key)
  }

  #egressJson(e: DoubleEgress): Json {
    return {
      egress_id: e.egress_id,
      room_id: e.room_id,
      room_name: e.room_name,
      status: e.status,
      started_at: e.started_at,
      ended_at: e.ended_at,
      updated_at: e.updated_at,
      error: e.error,
      [e.kind]: e.request,
      file_results: e.file_results,
    }
  }
}

function roomJson(r: DoubleRoom): Json {
  return {
    sid: r.sid,
    name: r.name,
    empty_timeout: r.empty_timeout,
    max_participants: r.max_participants,
    creation_time: r.creation_time,
    metadata: r.metadata,
    num_participants: r.participants.size,
    num_publishers: [...r.participants.values()].filter((p) => p.tracks.length).length,
    active_recording: false,
  }
}

function participantJson(p: DoubleParticipant): Json {
  return {
    sid: p.sid,
    identity: p.identity,
    state: 'ACTIVE',
    tracks: p.tracks,
    metadata: p.metadata,
    joined_at: p.joined_at,
    name: p.name,
    version: 1,
    permission: p.permission,
    is_publisher: p.tracks.length > 0,
    kind: 'STANDARD',
  }
}

const reply = (status: number, body: Json) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

const camelKey = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
function camel(v: unknown): any {
  if (Array.isArray(v)) return v.map(camel)
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [camelKey(k), camel(x)]))
  return v
}

let installed: LiveKitDouble | undefined

/**
 * Installs the double for every configured node (LIVEKIT_URL/KEY/SECRET and LIVEKIT_NODES of the
 * test bindings) by wrapping `globalThis.fetch` in this isolate; other URLs pass through. Calling
 * it again returns the same, reset double.
 */
export function installLiveKitDouble(): LiveKitDouble {
  if (installed) {
    installed.reset()
    return installed
  }
  const double = new LiveKitDouble(liveKitNodes(loadConfig(env)))
  interceptFetch((request) => double.handle(request))
  installed = double
  return double
}

/** The configured node `name` (credentials as the Worker sees them). */
export function configuredNode(name = 'default'): LiveKitNodeConfig {
  const n = liveKitNodes(loadConfig(env)).find((x) => x.name === name)
  if (!n) throw new Error(`no configured LiveKit node ${name}`)
  return n
}

/**
 * Signs a webhook body as a LiveKit node does: a JWT from the node's key and secret whose `sha256`
 * claim is the base64 SHA-256 of the exact body bytes (`WebhookReceiver`'s counterpart).
 */
export async function signWebhook(
  body: string,
  node: LiveKitNodeConfig = configuredNode(),
  ttl: number | string = '5m',
) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body))
  const at = new AccessToken(node.apiKey, node.apiSecret, { ttl })
  at.sha256 = btoa(String.fromCharCode(...new Uint8Array(digest)))
  return at.toJwt()
}

/** A webhook body as LiveKit sends it (camelCase JSON). */
/** Posts a signed webhook body to the Worker's `/webhook`, as a LiveKit node would. */
export async function deliverWebhook(body: string): Promise<Response> {
  return call('/webhook', { method: 'POST', headers: { authorization: await signWebhook(body) }, body })
}

export function webhookBody(event: string, fields: Json = {}): string {
  return JSON.stringify({ event, id: sid('EV'), createdAt: nowSeconds(), ...fields })
}
