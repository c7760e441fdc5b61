import type { Config } from '../../worker/config'
import type { Env } from '../../worker/env'
import type { LogLevel } from '../log'
import type { HostStub, ObjectRef } from './refs'

/** What every part of a Socket.IO host (engine, client, namespace runner, adapter) reads from its object. */
export interface HostContext {
  readonly ctx: DurableObjectState
  readonly env: Env
  /** This deployment's configuration (read once per object instance). */
  readonly config: Config
  /** This object, as other objects and session ids name it. */
  me(): ObjectRef
  /** A (cached) stub of another Socket.IO host. */
  stub(ref: ObjectRef): HostStub
  log(level: LogLevel, where: string, fields?: Record<string, unknown>): void
  /** A client's event or ack was answered with an error (counted in the object's metrics). */
  failed(): void
}
