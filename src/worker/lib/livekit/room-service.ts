import { RoomServiceClient, type CreateOptions, type ParticipantPermission } from 'livekit-server-sdk'
import type { LiveKitNodeConfig } from '../../config'
import { callLiveKit } from './errors'

/** A LiveKit object as JSON (camelCase, 64-bit numbers as strings), the way the SDK serialises it. */
export type LiveKitJson = Record<string, unknown>
/** A protobuf message from the SDK as plain JSON. */
export const plain = (m: { toJson(o?: { emitDefaultValues?: boolean }): unknown }) =>
  m.toJson({ emitDefaultValues: true }) as LiveKitJson

/** Default seconds a LiveKit call may take before the node counts as unreachable. */
export const LIVEKIT_TIMEOUT_SECONDS = 10

/**
 * One node's RoomService through `livekit-server-sdk` (Twirp). Every method maps failures with
 * `liveKitError` (503 unreachable, 502 error reply, 404 not found) and returns plain JSON.
 */
export class LiveKitRoomService {
  readonly #client: RoomServiceClient
  constructor(
    readonly node: LiveKitNodeConfig,
    options: { timeoutSeconds?: number } = {},
  ) {
    this.#client = new RoomServiceClient(node.url, node.apiKey, node.apiSecret, {
      requestTimeout: options.timeoutSeconds ?? LIVEKIT_TIMEOUT_SECONDS,
      failover: false,
    })
  }

  #call<T>(fn: (c: RoomServiceClient) => Promise<T>): Promise<T> {
    return callLiveKit(this.node.name, () => fn(this.#client))
  }

  createRoom(options: CreateOptions) {
    return this.#call(async (c) => plain(await c.createRoom(options)))
  }

  listRooms(names?: string[]) {
    return this.#call(async (c) => (await c.listRooms(names)).map(plain))
  }

  deleteRoom(room: string) {
    return this.#call((c) => c.deleteRoom(room))
  }

  updateRoomMetadata(room: string, metadata: string) {
    return this.#call(async (c) => plain(await c.updateRoomMetadata(room, metadata)))
  }

  listParticipants(room: string) {
    return this.#call(async (c) => (await c.listParticipants(room)).map(plain))
  }

  removeParticipant(room: string, identity: string) {
    return this.#call((c) => c.removeParticipant(room, identity))
  }

  mutePublishedTrack(room: string, identity: string, trackSid: string, muted: boolean) {
    return this.#call(async (c) => plain(await c.mutePublishedTrack(room, identity, trackSid, muted)))
  }

  updateParticipant(
    room: string,
    identity: string,
    update: { metadata?: string; name?: string; permission?: Partial<ParticipantPermission> },
  ) {
    return this.#call(async (c) => plain(await c.updateParticipant(room, identity, update)))
  }
}
