import { EgressClient, EncodedFileOutput, EncodedFileType, S3Upload } from 'livekit-server-sdk'
import type { Config, LiveKitNodeConfig } from '../../config'
import { AppError } from '../errors'
import { callLiveKit } from './errors'
import { LIVEKIT_TIMEOUT_SECONDS, plain } from './room-service'

/** Where egress writes files: R2 through its S3-compatible endpoint. */
export interface RecordingStorage {
  endpoint: string
  bucket: string
  accessKey: string
  secret: string
  region: string
}

/** The recording bucket as configured (RECORDING_S3_*). */
export const recordingStorage = (config: Config): RecordingStorage => ({
  endpoint: config.RECORDING_S3_ENDPOINT,
  bucket: config.RECORDING_S3_BUCKET,
  accessKey: config.RECORDING_S3_ACCESS_KEY,
  secret: config.RECORDING_S3_SECRET,
  region: config.RECORDING_S3_REGION,
})

/** An encoded-file output uploading to `key` in the recording bucket (MP4, or OGG for audio only). */
export function fileOutput(storage: RecordingStorage, key: string, audioOnly = false) {
  return new EncodedFileOutput({
    fileType: audioOnly ? EncodedFileType.OGG : EncodedFileType.MP4,
    filepath: key,
    disableManifest: true,
    output: {
      case: 's3',
      value: new S3Upload({
        endpoint: storage.endpoint,
        bucket: storage.bucket,
        accessKey: storage.accessKey,
        secret: storage.secret,
        region: storage.region,
        forcePathStyle: true,
      }),
    },
  })
}

/** One node's Egress service through `livekit-server-sdk`, failures mapped like the RoomService's. */
export class LiveKitEgress {
  readonly #client: EgressClient
  constructor(
    readonly node: LiveKitNodeConfig,
    readonly storage: RecordingStorage,
    options: { timeoutSeconds?: number } = {},
  ) {
    this.#client = new EgressClient(node.url, node.apiKey, node.apiSecret, {
      requestTimeout: options.timeoutSeconds ?? LIVEKIT_TIMEOUT_SECONDS,
      failover: false,
    })
  }

  #call<T>(fn: (c: EgressClient) => Promise<T>): Promise<T> {
    return callLiveKit(this.node.name, () => fn(this.#client))
  }

  /** Records the whole room (all participants mixed by the layout) to `key`. */
  startRoomComposite(room: string, key: string, options: { audioOnly?: boolean; layout?: string } = {}) {
    return this.#call(async (c) =>
      plain(
        await c.startRoomCompositeEgress(room, fileOutput(this.storage, key, options.audioOnly), {
          audioOnly: options.audioOnly ?? false,
          layout: options.layout ?? 'grid',
        }),
      ),
    )
  }

  /** Records one audio and/or one video track together to `key`. */
  startTrackComposite(room: string, key: string, tracks: { audioTrackId?: string; videoTrackId?: string }) {
    return this.#call(async (c) =>
      plain(
        await c.startTrackCompositeEgress(room, fileOutput(this.storage, key, !tracks.videoTrackId), tracks),
      ),
    )
  }

  stop(egressId: string) {
    return this.#call(async (c) => plain(await c.stopEgress(egressId)))
  }

  list(options: { roomName?: string; active?: boolean } = {}) {
    return this.#call(async (c) => (await c.listEgress(options)).map(plain))
  }

  /** One egress as LiveKit reports it, or undefined when the node does not know it (empty or 404). */
  async find(egressId: string) {
    try {
      return await this.#call(async (c) => (await c.listEgress({ egressId }))[0])
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') return undefined
      throw err
    }
  }
}
