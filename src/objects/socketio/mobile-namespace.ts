import { AppError } from '../../worker/lib/errors'
import { emitToRoom } from '../../worker/services/realtime'
import type { NamespaceHandler } from './namespace'

const CLOSED = ['closed', 'finished', 'cancelled', 'done']

/**
 * `/mobile` (seed 000 §4.2.2): a car's app connects with its task id (`auth.taskId` or query
 * `taskId`), validated against D1 `car_tasks`. `location` stores the position and reaches the
 * task's room as `agentCar`; `status` updates the task (and tells the room); `message` is
 * acknowledged and echoed back. Runs in whichever object holds the socket.
 */
export const mobileNamespace: NamespaceHandler = {
  async connect(c, _sock, auth, query) {
    const taskId = auth.taskId ?? auth.task_id ?? query.taskId ?? query.task_id
    if (typeof taskId !== 'string' || !taskId) throw new AppError('validation_failed', 'taskId is required')
    const task = await c.env.DB.prepare('SELECT id, room, car_no, status FROM car_tasks WHERE id = ?')
      .bind(taskId)
      .first<{ id: string; room: string | null; car_no: string; status: string }>()
    if (!task) throw new AppError('not_found', `Task ${taskId} not found`)
    if (CLOSED.includes(task.status)) throw new AppError('forbidden', `Task ${taskId} is ${task.status}`)
    return { task: task.id, car: task.car_no, ...(task.room ? { room: task.room } : {}) }
  },

  async event(c, sock, name, args) {
    const payload = (args[0] ?? {}) as Record<string, unknown>
    const task = String(sock.data.task)
    const room = sock.data.room as string | undefined
    switch (name) {
      case 'location': {
        const { lat, lng } = payload
        if (typeof lat !== 'number' || typeof lng !== 'number' || Math.abs(lat) > 90 || Math.abs(lng) > 180)
          throw new AppError('validation_failed', 'location: lat and lng must be numbers within range')
        const speed = typeof payload.speed === 'number' ? payload.speed : null
        const heading = typeof payload.heading === 'number' ? payload.heading : null
        const now = Date.now()
        await c.env.DB.batch([
          c.env.DB.prepare(
            'INSERT INTO car_positions (task_id, lat, lng, speed, heading, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          ).bind(task, lat, lng, speed, heading, now),
          c.env.DB.prepare('UPDATE car_tasks SET lat = ?, lng = ?, updated_at = ? WHERE id = ?').bind(
            lat,
            lng,
            now,
            task,
          ),
        ])
        const car = {
          taskId: task,
          carNo: sock.data.car,
          lat,
          lng,
          speed,
          heading,
          at: new Date(now).toISOString(),
        }
        if (room) await emitToRoom(c.env, room, 'agentCar', car)
        return [{ ok: true }]
      }
      case 'status': {
        const status = typeof payload === 'string' ? payload : payload.status
        if (typeof status !== 'string' || !status || status.length > 32)
          throw new AppError('validation_failed', 'status: "status" must be a short string')
        await c.env.DB.prepare('UPDATE car_tasks SET status = ?, updated_at = ? WHERE id = ?')
          .bind(status, Date.now(), task)
          .run()
        if (room) await emitToRoom(c.env, room, 'agentCar', { taskId: task, carNo: sock.data.car, status })
        return [{ ok: true, status }]
      }
      case 'message':
        c.emit('message', { taskId: task, received: true, message: args[0] ?? null })
        return [{ ok: true }]
      default:
        throw new AppError(
          'bad_request',
          `Unknown event "${name}" on /mobile (use location, status, message)`,
        )
    }
  },
}
