import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { staffOnly } from './access'
import { CaseHistoryQuery, CaseIdQuery, CaseView, CreateCaseBody, UpdateCaseBody } from '../schemas/cases'
import { gatewayResponses, jsonBody } from '../schemas/common'
import * as cases from '../services/cases'

/** Seed 000 `/case`: emergency cases. Creating or updating one updates `/queue` (and `/newqueue` gets `newcase`). Staff only. */
export const gatewayCaseRoutes = router()

const common = {
  tags: ['Gateway: case'],
  ...staffOnly,
}

gatewayCaseRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/create',
    summary: 'Open a case; `/newqueue` sockets get `newcase`, `/queue` sockets `queue-update`',
    request: { body: jsonBody(CreateCaseBody) },
    responses: gatewayResponses(CaseView, 'Created', [401, 403]),
  }),
  async (c) =>
    success(c, await cases.createCase(c.env, db(c.env.DB), c.var.identity!.id, c.req.valid('json'))),
)

gatewayCaseRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/get',
    summary: 'One case (`?id=`)',
    request: { query: CaseIdQuery },
    responses: gatewayResponses(CaseView, 'The case', [401, 403, 404]),
  }),
  async (c) => success(c, cases.caseView(await cases.getCase(db(c.env.DB), c.req.valid('query').id))),
)

gatewayCaseRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/history',
    summary: 'Cases newest first, by status or room, paged',
    request: { query: CaseHistoryQuery },
    responses: gatewayResponses(
      z.object({ items: z.array(CaseView), page: z.number(), limit: z.number(), total: z.number() }),
      'A page of cases',
      [401, 403],
    ),
  }),
  async (c) => success(c, await cases.caseHistory(db(c.env.DB), c.req.valid('query'))),
)

gatewayCaseRoutes.openapi(
  createRoute({
    ...common,
    method: 'put',
    path: '/update',
    summary: 'Update a case (`id` in the body); `/queue` sockets get `queue-update`',
    request: { body: jsonBody(UpdateCaseBody) },
    responses: gatewayResponses(CaseView, 'Updated', [401, 403, 404]),
  }),
  async (c) => success(c, await cases.updateCase(c.env, db(c.env.DB), c.req.valid('json'))),
)
