import { env } from 'cloudflare:workers'
import type { ChannelLimits } from '../../src/objects/channel'
import { ChatRoom as ProductionChatRoom } from '../../src/objects/chat-room'
import { ConferenceRoom as ProductionConferenceRoom } from '../../src/objects/conference-room'
import { LiveChatSession as ProductionLiveChatSession } from '../../src/objects/live-chat-session'
import { LiveSessionRoom as ProductionLiveSessionRoom } from '../../src/objects/live-session-room'
import type { RoomOptions } from '../../src/objects/room/core'
import type { IndexBatch } from '../../src/objects/room/log'
import { MetricsRegistry as ProductionMetricsRegistry } from '../../src/worker/metrics/registry'
import type { ObjectReport, RegistryReport } from '../../src/worker/metrics/report'

/** What a test may change in an object: its limits and its message room's options. */
export interface TestSettings {
  limits?: Partial<ChannelLimits>
  room?: Partial<RoomOptions>
}

/**
 * Test subclasses of the objects whose behaviour tests steer: the test entry (test/worker-entry.ts)
 * exports them under the production names, so the bindings of wrangler.toml reach them. Tests set
 * these fields through `runInDurableObject`; production classes carry no test hooks.
 */

/** A chat room whose limits, typing lifetime and D1 availability a test can change. */
export class ChatRoom extends ProductionChatRoom {
  /** Limits that replace the configured ones for this instance. */
  limitOverrides: Partial<ChannelLimits> = {}
  /** The next n index flushes fail as if D1 were unavailable. */
  simulateIndexFailures = 0
  /** Fan-out calls this object received from other chats. */
  deliveries = 0

  set typingTtlMs(ms: number) {
    this.room.options.typingTtlMs = ms
  }

  configure(s: TestSettings): void {
    this.limitOverrides = { ...this.limitOverrides, ...s.limits }
    Object.assign(this.room.options, s.room)
  }

  protected limits(): ChannelLimits {
    return { ...super.limits(), ...this.limitOverrides }
  }

  protected writeIndex(batch: IndexBatch): Promise<void> {
    if (this.simulateIndexFailures > 0) {
      this.simulateIndexFailures--
      return Promise.reject(new Error('simulated D1 failure'))
    }
    return super.writeIndex(batch)
  }

  async deliver(...args: Parameters<ProductionChatRoom['deliver']>): Promise<number> {
    this.deliveries++
    return super.deliver(...args)
  }
}

/** A live-chat session whose limits and typing lifetime a test can change. */
export class LiveChatSession extends ProductionLiveChatSession {
  limitOverrides: Partial<ChannelLimits> = {}

  set typingTtlMs(ms: number) {
    this.room.options.typingTtlMs = ms
  }

  configure(s: TestSettings): void {
    this.limitOverrides = { ...this.limitOverrides, ...s.limits }
    Object.assign(this.room.options, s.room)
  }

  protected limits(): ChannelLimits {
    return { ...super.limits(), ...this.limitOverrides }
  }
}

/** A conference room whose limits and chat options a test can change. */
export class ConferenceRoom extends ProductionConferenceRoom {
  limitOverrides: Partial<ChannelLimits> = {}

  configure(s: TestSettings): void {
    this.limitOverrides = { ...this.limitOverrides, ...s.limits }
    Object.assign(this.room.options, s.room)
  }

  protected limits(): ChannelLimits {
    return { ...super.limits(), ...this.limitOverrides }
  }
}

/** A live session's object (the session's own or one of its shards) whose limits a test can change. */
export class LiveSessionRoom extends ProductionLiveSessionRoom {
  limitOverrides: Partial<ChannelLimits> = {}

  protected limits(): ChannelLimits {
    return { ...super.limits(), ...this.limitOverrides }
  }
}

/** The stub of a live session's object or shard (`<id>#<k>`), typed as the test subclass it runs as. */
export const liveSessionStub = (name: string) =>
  env.LIVE_SESSION.getByName(name) as unknown as DurableObjectStub<LiveSessionRoom>

/** The stub of a chat's object, typed as the test subclass it runs as. */
export const chatRoomStub = (chatId: string) =>
  env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId)) as unknown as DurableObjectStub<ChatRoom>

/** The stub of a live-chat session's object, typed as the test subclass it runs as. */
export const liveChatStub = (id: string) =>
  env.LIVE_CHAT.get(env.LIVE_CHAT.idFromName(id)) as unknown as DurableObjectStub<LiveChatSession>

/** The stub of a conference room's object, typed as the test subclass it runs as. */
export const conferenceRoomStub = (room: string) =>
  env.CONFERENCE_ROOM.getByName(room) as unknown as DurableObjectStub<ConferenceRoom>

/** The metrics registry, keeping every object report it received (in memory) for tests to read. */
export class MetricsRegistry extends ProductionMetricsRegistry {
  received: ObjectReport[] = []

  report(batch: RegistryReport): void {
    this.received.push(...(batch.objects ?? []))
    super.report(batch)
  }
}

/** The registry's stub, typed as the test subclass it runs as. */
export const metricsRegistryStub = () =>
  env.METRICS_REGISTRY.getByName('global') as unknown as DurableObjectStub<MetricsRegistry>
