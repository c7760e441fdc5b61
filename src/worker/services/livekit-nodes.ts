import { and, eq, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm'
import { type Config, type LiveKitNodeConfig, liveKitNodes as configuredNodes, loadConfig } from '../config'
import { db, type Db } from '../db/client'
import { conferenceRooms, liveKitNodes } from '../db/schema'
import type { Env } from '../env'
import { AppError } from '../lib/errors'
import { iso } from '../lib/time'
import { findNode, LiveKitRoomService, pickNode, type NodeLoad } from '../lib/livekit'

/** Seconds the health sweep waits for a node before calling it down. */
export const HEALTH_TIMEOUT_SECONDS = 5

/**
 * Mirrors the configured nodes into D1 `livekit_nodes` (new ones start healthy; a changed URL is
 * updated). One statement, idempotent (await it, or put it in a batch); run before reading node health.
 */
const syncNodes = (d: Db, config: Config) =>
  d
    .insert(liveKitNodes)
    .values(configuredNodes(config).map((n) => ({ name: n.name, url: n.url })))
    .onConflictDoUpdate({ target: liveKitNodes.name, set: { url: sql`excluded.url` } })

/**
 * Health and current load (rooms not closed) of every configured node, in configuration order.
 * One D1 round trip: the nodes mirrored, their health and the room counts in one batch.
 */
export async function nodeLoads(d: Db, config: Config): Promise<NodeLoad[]> {
  const [, health, counts] = await d.batch([
    syncNodes(d, config),
    d.select({ name: liveKitNodes.name, healthy: liveKitNodes.healthy }).from(liveKitNodes),
    d
      .select({ node: conferenceRooms.node, n: sql<number>`count(*)` })
      .from(conferenceRooms)
      .where(ne(conferenceRooms.status, 'closed'))
      .groupBy(conferenceRooms.node),
  ])
  const healthy = new Map(health.map((h) => [h.name, h.healthy]))
  const rooms = new Map(counts.map((c) => [c.node, Number(c.n)]))
  return configuredNodes(config).map((n) => ({
    name: n.name,
    healthy: healthy.get(n.name) ?? true,
    rooms: rooms.get(n.name) ?? 0,
  }))
}

/** The healthy node with the fewest open rooms (see `pickNode`), or undefined when all are down. */
export async function chooseNode(d: Db, config: Config, exclude: readonly string[] = []) {
  const loads = (await nodeLoads(d, config)).filter((l) => !exclude.includes(l.name))
  const best = pickNode(loads)
  return best ? findNode(config, best.name) : undefined
}

/** The configured node a room lives on; a 503 naming LiveKit if it was removed from the configuration. */
export function roomNode(config: Config, name: string): LiveKitNodeConfig {
  const node = findNode(config, name)
  if (!node) throw new AppError('upstream_unavailable', `LiveKit node "${name}" is no longer configured`)
  return node
}

/**
 * Records a node's health. Conditional on time, so of two sweeps racing the later observation
 * wins and running the same sweep twice changes nothing more.
 */
export async function markNode(
  d: Db,
  name: string,
  healthy: boolean,
  observed: { at?: number; error?: string; rooms?: number } = {},
) {
  const at = observed.at ?? Date.now()
  await d
    .update(liveKitNodes)
    .set({
      healthy,
      lastCheckedAt: at,
      lastError: healthy ? null : (observed.error ?? 'unreachable'),
      ...(observed.rooms === undefined ? {} : { roomCount: observed.rooms }),
      updatedAt: at,
    })
    .where(
      and(
        eq(liveKitNodes.name, name),
        or(isNull(liveKitNodes.lastCheckedAt), lte(liveKitNodes.lastCheckedAt, at)),
      ),
    )
}

/** One node as the API shows it. */
export interface NodeView {
  name: string
  url: string
  healthy: boolean
  room_count: number
  open_rooms: number
  last_checked_at: string | null
  last_error: string | null
}

/** Every configured node with its last health check and load. */
export async function listNodes(d: Db, config: Config): Promise<NodeView[]> {
  const loads = await nodeLoads(d, config)
  const names = loads.map((l) => l.name)
  const rows = await d.select().from(liveKitNodes).where(inArray(liveKitNodes.name, names))
  const byName = new Map(rows.map((r) => [r.name, r]))
  return loads.map((l) => {
    const r = byName.get(l.name)
    return {
      name: l.name,
      url: findNode(config, l.name)!.url,
      healthy: l.healthy,
      room_count: r?.roomCount ?? 0,
      open_rooms: l.rooms,
      last_checked_at: iso(r?.lastCheckedAt),
      last_error: r?.lastError ?? null,
    }
  })
}

/**
 * The 10-minute health sweep (seed 000 §8): asks every configured node for its rooms; a node that
 * answers is marked up with its room count, one that does not (or answers an error) is marked
 * down and skipped for new rooms until a later sweep sees it again.
 */
export async function healthSweep(d: Db, config: Config) {
  await syncNodes(d, config)
  const at = Date.now()
  return Promise.all(
    configuredNodes(config).map(async (node) => {
      try {
        const rooms = await new LiveKitRoomService(node, {
          timeoutSeconds: HEALTH_TIMEOUT_SECONDS,
        }).listRooms()
        await markNode(d, node.name, true, { at, rooms: rooms.length })
        return { node: node.name, healthy: true, rooms: rooms.length }
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err)
        await markNode(d, node.name, false, { at, error })
        return { node: node.name, healthy: false, error }
      }
    }),
  )
}

/** Cron job (every 10 minutes): the LiveKit node health sweep. */
export const liveKitHealthJob = (env: Env) => healthSweep(db(env.DB), loadConfig(env))
