import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { success } from '../lib/envelope'
import { router } from '../lib/router'
import { staffOnly } from './access'
import { CarListQuery, CarTaskView, CreateCarTaskBody, UpdateCarTaskBody } from '../schemas/cases'
import { gatewayResponses, jsonBody } from '../schemas/common'
import * as cars from '../services/cars'

/**
 * Seed 000 `/car`: ambulance tasks. A task's id is what the car's app gives the `/mobile`
 * namespace; positions reach the task's room as `agentCar`. Staff only.
 */
export const gatewayCarRoutes = router()

const common = {
  tags: ['Gateway: car'],
  ...staffOnly,
}

gatewayCarRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/task',
    summary: 'Create a car task',
    request: { body: jsonBody(CreateCarTaskBody) },
    responses: gatewayResponses(CarTaskView, 'Created', [401, 403]),
  }),
  async (c) => success(c, cars.carTaskView(await cars.createCarTask(db(c.env.DB), c.req.valid('json')))),
)

gatewayCarRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/task',
    summary: 'One task (`?id=`) with its recent positions',
    request: { query: z.object({ id: z.string().min(1).max(64) }) },
    responses: gatewayResponses(
      CarTaskView.extend({
        positions: z.array(z.object({ lat: z.number(), lng: z.number(), at: z.string() })),
      }),
      'The task',
      [401, 403, 404],
    ),
  }),
  async (c) => {
    const d = db(c.env.DB)
    const task = await cars.getCarTask(d, c.req.valid('query').id)
    const trail = (await cars.positions(d, task.id)).map((p) => ({
      lat: p.lat,
      lng: p.lng,
      at: new Date(p.createdAt).toISOString(),
    }))
    return success(c, { ...cars.carTaskView(task), positions: trail })
  },
)

gatewayCarRoutes.openapi(
  createRoute({
    ...common,
    method: 'put',
    path: '/task',
    summary: 'Update a task (`id` in the body): status, detail, room, position',
    request: { body: jsonBody(UpdateCarTaskBody) },
    responses: gatewayResponses(CarTaskView, 'Updated', [401, 403, 404]),
  }),
  async (c) => {
    const { id, ...patch } = c.req.valid('json')
    return success(c, cars.carTaskView(await cars.updateCarTask(c.env, db(c.env.DB), id, patch)))
  },
)

gatewayCarRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/list',
    summary: 'Tasks, most recently updated first',
    request: { query: CarListQuery },
    responses: gatewayResponses(z.array(CarTaskView), 'Tasks', [401, 403]),
  }),
  async (c) =>
    success(c, (await cars.listCarTasks(db(c.env.DB), c.req.valid('query'))).map(cars.carTaskView)),
)
