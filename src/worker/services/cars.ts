import { and, desc, eq, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client'
import { carPositions, carTasks } from '../db/schema'
import type { Env } from '../env'
import { notFound } from '../lib/errors'
import { newId } from '../lib/ids'
import { iso } from '../lib/time'
import { emitToRoom } from './realtime'

export type CarTaskRow = typeof carTasks.$inferSelect

/** A car (ambulance) task as the gateway and the `/mobile` namespace describe it. */
export function carTaskView(row: CarTaskRow) {
  return {
    id: row.id,
    room: row.room ?? null,
    case_id: row.caseId ?? null,
    car_no: row.carNo,
    status: row.status,
    detail: row.detail ?? null,
    lat: row.lat ?? null,
    lng: row.lng ?? null,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  }
}

export async function createCarTask(
  db: Db,
  input: { car_no: string; room?: string; case_id?: string; detail?: string },
) {
  return db
    .insert(carTasks)
    .values({
      id: newId(),
      carNo: input.car_no,
      room: input.room ?? null,
      caseId: input.case_id ?? null,
      detail: input.detail ?? null,
    })
    .returning()
    .get()
}

export async function getCarTask(db: Db, id: string): Promise<CarTaskRow> {
  const row = await db.select().from(carTasks).where(eq(carTasks.id, id)).get()
  if (!row) throw notFound('Car task')
  return row
}

export async function listCarTasks(db: Db, filter: { status?: string; room?: string; limit: number }) {
  const where: SQL[] = []
  if (filter.status) where.push(eq(carTasks.status, filter.status))
  if (filter.room) where.push(eq(carTasks.room, filter.room))
  return db
    .select()
    .from(carTasks)
    .where(and(...where))
    .orderBy(desc(carTasks.updatedAt))
    .limit(filter.limit)
    .all()
}

/** A car position report: kept in `car_positions`, mirrored on the task, sent to its room as `agentCar`. */
export async function recordPosition(
  env: Env,
  db: Db,
  task: CarTaskRow,
  pos: { lat: number; lng: number; speed?: number | null; heading?: number | null },
) {
  const now = Date.now()
  await db.batch([
    db.insert(carPositions).values({
      taskId: task.id,
      lat: pos.lat,
      lng: pos.lng,
      speed: pos.speed ?? null,
      heading: pos.heading ?? null,
      createdAt: now,
    }),
    db.update(carTasks).set({ lat: pos.lat, lng: pos.lng, updatedAt: now }).where(eq(carTasks.id, task.id)),
  ])
  const car = {
    taskId: task.id,
    carNo: task.carNo,
    lat: pos.lat,
    lng: pos.lng,
    speed: pos.speed ?? null,
    heading: pos.heading ?? null,
    at: iso(now),
  }
  if (task.room) await emitToRoom(env, task.room, 'agentCar', car)
  return car
}

/** Updates a task's fields (a status change reaches its room as `agentCar`), and its position if given. */
export async function updateCarTask(
  env: Env,
  db: Db,
  id: string,
  patch: {
    status?: string
    detail?: string | null
    room?: string | null
    lat?: number
    lng?: number
    speed?: number
    heading?: number
  },
): Promise<CarTaskRow> {
  const task = await getCarTask(db, id)
  const fields = {
    ...(patch.status === undefined ? {} : { status: patch.status }),
    ...(patch.detail === undefined ? {} : { detail: patch.detail }),
    ...(patch.room === undefined ? {} : { room: patch.room }),
  }
  let row = task
  if (Object.keys(fields).length) {
    row = (await db
      .update(carTasks)
      .set({ ...fields, updatedAt: Date.now() })
      .where(eq(carTasks.id, id))
      .returning()
      .get())!
    if (patch.status !== undefined && row.room) {
      await emitToRoom(env, row.room, 'agentCar', { taskId: row.id, carNo: row.carNo, status: row.status })
    }
  }
  if (patch.lat !== undefined && patch.lng !== undefined) {
    await recordPosition(env, db, row, {
      lat: patch.lat,
      lng: patch.lng,
      speed: patch.speed,
      heading: patch.heading,
    })
    row = await getCarTask(db, id)
  }
  return row
}

/** The task's recent positions, newest first. */
export async function positions(db: Db, taskId: string, limit = 50) {
  return db
    .select()
    .from(carPositions)
    .where(eq(carPositions.taskId, taskId))
    .orderBy(desc(carPositions.createdAt))
    .limit(limit)
    .all()
}
