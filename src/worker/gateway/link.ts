import { createRoute } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { db } from '../db/client'
import type { AppEnv } from '../env'
import { success } from '../lib/envelope'
import { forbidden, unauthorized } from '../lib/errors'
import { isStaff } from '../lib/identity'
import { router } from '../lib/router'
import { STAFF_NOTE, staffOnly } from './access'
import { optionalAuth } from '../middleware/auth'
import { bearerSecurity, gatewayResponses, jsonBody } from '../schemas/common'
import {
  CarTrackingBody,
  CreatedLink,
  CreateHlsLinkBody,
  CreateLinkBody,
  Domain,
  DomainQuery,
  LatLngBody,
  Link,
  LinkDetailQuery,
  LinkList,
  LinkListQuery,
  MultiLatLngBody,
  MultiLatLngResult,
  ShareQuery,
  SmsHistory,
  SmsHistoryQuery,
} from '../schemas/links'
import * as linkService from '../services/links'
import { domainFor } from '../services/service-settings'
import { smsHistory } from '../services/sms'

/** Seed 000 `/link/*`: one-time and expiring join links, positions, SMS history. */
export const gatewayLinkRoutes = router()

const tags = ['Gateway: links']

async function created(c: Context<AppEnv>, input: linkService.CreateLinkInput) {
  const d = db(c.env.DB)
  const { row, base, sms } = await linkService.createLink(d, c.var.config, input, c.var.identity?.id)
  const link = linkService.linkView(row, base)
  return success(c, {
    ...link,
    sms: sms && { id: sms.id, phone: sms.phone, status: sms.status, error: sms.error },
  })
}

/** Stored positions go on to the room's sockets (`position` on `/{room}`). */
const announce = (c: Context<AppEnv>) => (row: linkService.LinkRow) =>
  linkService.announcePosition(c.env, row)

const view = (c: Context<AppEnv>, row: linkService.LinkRow) =>
  linkService.viewLink(db(c.env.DB), c.var.config, row)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/create',
    tags,
    ...staffOnly,
    summary: 'Create a join link (one-time or expiring), texting it when a phone is given',
    description: `${STAFF_NOTE} The id uses CUSTOM_CHARSET; the share URL is \`<service domain>/join/<id>\` (service_settings.domain, else API_URL). With \`phone\`, the URL is sent by SMS (SMS_ENABLE off → only logged); \`sms.status\` says what happened and a failed SMS does not fail the request.`,
    request: { body: jsonBody(CreateLinkBody) },
    responses: gatewayResponses(CreatedLink, 'The link', [401, 403]),
  }),
  async (c) => created(c, { ...c.req.valid('json'), type: 'conference' }),
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/create/hls',
    tags,
    ...staffOnly,
    summary: 'Create a viewer link to the room’s HLS stream (`<domain>/hls/<id>`)',
    description: `${STAFF_NOTE} Same rules as /link/create, with userType \`hls\`.`,
    request: { body: jsonBody(CreateHlsLinkBody) },
    responses: gatewayResponses(CreatedLink, 'The link', [401, 403]),
  }),
  async (c) => created(c, { ...c.req.valid('json'), userType: 'hls', type: 'hls' }),
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/cartracking',
    tags,
    ...staffOnly,
    summary: 'Create a car-tracking link for an ambulance crew (`<domain>/car/<id>`)',
    description: `${STAFF_NOTE} userType \`car\`, userName = carNo; the crew posts positions with /link/update/latlng.`,
    request: { body: jsonBody(CarTrackingBody) },
    responses: gatewayResponses(CreatedLink, 'The link', [401, 403]),
  }),
  async (c) => {
    const { carNo, ...rest } = c.req.valid('json')
    return created(c, { ...rest, userName: carNo, userType: 'car', type: 'car' })
  },
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/getdetail',
    tags,
    security: [...bearerSecurity, {}],
    middleware: [optionalAuth()] as const,
    summary: 'Open a link: its room and details (or, for staff, the newest link of a room)',
    description:
      'Public with `linkID`: the link id is the credential. Opening marks the link used and connected; a one-time link opens exactly once (a second open, even a racing one, gets 410). Expired or disabled links get 410, unknown ids 404. Opening does not spend a one-time link’s participant: the caller’s page may open the link, then `POST /user/joingenerate` with the same `linkID` (once). A staff bearer reads the link without consuming it. ' +
      'Without `linkID`, seed 000’s `GetLinkDetail(“”, room, userType)`: staff only (401/403) — the newest link of `room` (of `userType` when given), whatever its state, 404 if none.',
    request: { query: LinkDetailQuery },
    responses: gatewayResponses(Link, 'The link', [401, 403, 404, 410]),
  }),
  async (c) => {
    const { linkID, room, userType } = c.req.valid('query')
    const d = db(c.env.DB)
    const identity = c.var.identity
    const staff = identity !== undefined && isStaff(identity.role)
    if (!linkID) {
      if (!identity) throw unauthorized()
      if (!staff) throw forbidden('Requires role: admin or agent or service to look a link up by room')
      return success(c, await view(c, await linkService.latestLink(d, room!, userType)))
    }
    if (staff) return success(c, await view(c, await linkService.getLink(d, linkID)))
    return success(c, await linkService.openLink(c.env, d, c.var.config, linkID))
  },
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/update/latlng',
    tags,
    summary: 'Store the link holder’s position',
    description:
      'Public: the link id is the credential. The link must be enabled and unexpired (a used one-time link still accepts positions). The position is also emitted as `position` `{lat, lng, accuracy, identity: "link:<id>", name, userType, linkID, source: "link"}` to the room’s Socket.IO namespace `/{room}`.',
    request: { body: jsonBody(LatLngBody) },
    responses: gatewayResponses(Link, 'The updated link', [404, 410]),
  }),
  async (c) => {
    const row = await linkService.updateLatLng(db(c.env.DB), c.req.valid('json'), announce(c))
    return success(c, await view(c, row))
  },
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/multilatlng/send',
    tags,
    summary: 'Store several positions at once (up to 100)',
    description:
      'Public: each position names its link. Each is applied on its own; `results` says which were stored and why others were not.',
    request: { body: jsonBody(MultiLatLngBody) },
    responses: gatewayResponses(MultiLatLngResult, 'Per-position results'),
  }),
  async (c) =>
    success(c, await linkService.updateManyLatLng(db(c.env.DB), c.req.valid('json').positions, announce(c))),
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/share',
    tags,
    ...staffOnly,
    summary: 'The share URL of the newest usable link of a room',
    description: `${STAFF_NOTE} 404 when the room has no enabled, unexpired, unconsumed link (of that userType).`,
    request: { query: ShareQuery },
    responses: gatewayResponses(Link, 'The link and its URL', [401, 403, 404]),
  }),
  async (c) => {
    const { room, userType } = c.req.valid('query')
    return success(c, await view(c, await linkService.latestUsableLink(db(c.env.DB), room, userType)))
  },
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/get/domain',
    tags,
    summary: 'The domain share URLs use for a service (or a link’s service), per sender and link type',
    description:
      'Public (seed 000 `GetDomain(service, sender, linkType, linkID)`). With `linkID`, that link’s service and type. ' +
      'The domain is the service’s `settings.senderDomains[sender]` when `sender` is given and set there (`source: "sender"`), ' +
      'else `service_settings.domain` (`source: "service"`), else API_URL (`source: "default"`). ' +
      'With a `linkType` (or `linkID`), `url` is the base of that type’s share URLs (`<domain>/<join|hls|car>`).',
    request: { query: DomainQuery },
    responses: gatewayResponses(Domain, 'The domain', [404]),
  }),
  async (c) => {
    const { service, linkID, sender, linkType } = c.req.valid('query')
    const d = db(c.env.DB)
    const link = linkID ? await linkService.getLink(d, linkID) : undefined
    const found = await domainFor(d, c.var.config, link?.service ?? service ?? 0, sender)
    const type = linkType ?? (link?.type as linkService.LinkType | undefined)
    return success(
      c,
      type ? { ...found, linkType: type, url: linkService.linkBase(found.domain, type) } : found,
    )
  },
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/list',
    tags,
    ...staffOnly,
    summary: 'Links, newest first (filters: room, type, enabled; paginated)',
    description: STAFF_NOTE,
    request: { query: LinkListQuery },
    responses: gatewayResponses(LinkList, 'A page of links', [401, 403]),
  }),
  async (c) => success(c, await linkService.listLinks(db(c.env.DB), c.var.config, c.req.valid('query'))),
)

gatewayLinkRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/history',
    tags,
    ...staffOnly,
    summary: 'SMS history of links, newest first (filters: phone, room, linkID; paginated)',
    description: `${STAFF_NOTE} Every SMS the gateway sent or logged, with its status (sent, logged, failed).`,
    request: { query: SmsHistoryQuery },
    responses: gatewayResponses(SmsHistory, 'A page of SMS logs', [401, 403]),
  }),
  async (c) => success(c, await smsHistory(db(c.env.DB), c.req.valid('query'))),
)
