import { asc, eq } from 'drizzle-orm'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { serviceSettings } from '../db/schema'
import { badRequest, notFound } from '../lib/errors'
import { iso } from '../lib/time'

export type ServiceRow = typeof serviceSettings.$inferSelect

export function serviceView(row: ServiceRow) {
  return {
    service: row.service,
    name: row.name,
    domain: row.domain,
    smsTemplate: row.smsTemplate,
    settings: row.settings ? (JSON.parse(row.settings) as Record<string, unknown>) : null,
    updatedAt: iso(row.updatedAt),
  }
}

export const findService = (db: Db, service: number) =>
  db.select().from(serviceSettings).where(eq(serviceSettings.service, service)).get()

export async function getService(db: Db, service: number): Promise<ServiceRow> {
  const row = await findService(db, service)
  if (!row) throw notFound(`Service ${service}`)
  return row
}

export const listServices = (db: Db) =>
  db.select().from(serviceSettings).orderBy(asc(serviceSettings.service)).all()

/** Creates or patches a service; a new one needs `name` and `domain`. */
export async function upsertService(
  db: Db,
  input: {
    service: number
    name?: string
    domain?: string
    smsTemplate?: string | null
    settings?: Record<string, unknown> | null
  },
): Promise<ServiceRow> {
  const patch = {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.domain === undefined ? {} : { domain: stripSlash(input.domain) }),
    ...(input.smsTemplate === undefined ? {} : { smsTemplate: input.smsTemplate }),
    ...(input.settings === undefined
      ? {}
      : { settings: input.settings === null ? null : JSON.stringify(input.settings) }),
    updatedAt: Date.now(),
  }
  const updated = await db
    .update(serviceSettings)
    .set(patch)
    .where(eq(serviceSettings.service, input.service))
    .returning()
    .get()
  if (updated) return updated
  if (patch.name === undefined || patch.domain === undefined) {
    const missing = ['name', 'domain'].filter((k) => (patch as Record<string, unknown>)[k] === undefined)
    throw badRequest(
      `Service ${input.service} does not exist; ${missing.join(' and ')} required to create it`,
      {
        fields: missing.map((path) => ({ path, message: 'is required to create a service' })),
      },
    )
  }
  // A concurrent creator may win the insert; then apply our patch over theirs.
  await db
    .insert(serviceSettings)
    .values({ service: input.service, name: patch.name, domain: patch.domain, ...patch })
    .onConflictDoUpdate({ target: serviceSettings.service, set: patch })
  return getService(db, input.service)
}

/**
 * The base of share URLs for `service`: with a `sender` (the channel a link goes out on, e.g.
 * `sms`), that sender's entry in the service's `settings.senderDomains`; else the service's
 * configured domain; else API_URL.
 */
export async function domainFor(
  db: Db,
  config: Config,
  service: number,
  sender?: string,
): Promise<{ service: number; domain: string; source: 'sender' | 'service' | 'default' }> {
  const row = await findService(db, service)
  if (!row) return { service, domain: defaultDomain(config), source: 'default' }
  const bySender = sender ? senderDomain(row, sender) : undefined
  return bySender
    ? { service, domain: bySender, source: 'sender' }
    : { service, domain: row.domain, source: 'service' }
}

/** `settings.senderDomains[sender]` of a service, when it is a non-empty string. */
function senderDomain(row: ServiceRow, sender: string): string | undefined {
  const settings = row.settings ? (JSON.parse(row.settings) as { senderDomains?: unknown }) : null
  const domains = settings?.senderDomains
  if (!domains || typeof domains !== 'object') return undefined
  const domain = (domains as Record<string, unknown>)[sender]
  return typeof domain === 'string' && domain ? stripSlash(domain) : undefined
}

/** API_URL without a trailing slash: the share-URL base of services with no domain of their own. */
export const defaultDomain = (config: Config) => stripSlash(config.API_URL)

const stripSlash = (url: string) => url.replace(/\/+$/, '')
