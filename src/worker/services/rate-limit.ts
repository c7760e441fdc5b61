import type { Config } from '../config'
import type { Env } from '../env'
import { rateLimited } from '../lib/errors'

const limiter = (env: Env, key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key))

/**
 * Counts a login attempt against the caller's IP and the target account (SPEC §3), throwing a
 * 429 naming the wait when either is over its limit. Both counters are charged on every attempt.
 */
export async function chargeLoginAttempt(
  env: Env,
  config: Config,
  ip: string,
  account: string,
): Promise<void> {
  const window = config.LOGIN_LIMIT_WINDOW
  const [byIp, byAccount] = await Promise.all([
    limiter(env, `login-ip:${ip}`).hit(config.LOGIN_LIMIT_PER_IP, window),
    limiter(env, `login-account:${account}`).hit(config.LOGIN_LIMIT_PER_ACCOUNT, window),
  ])
  const denied = [byIp, byAccount].filter((d) => !d.allowed)
  if (denied.length) throw rateLimited(Math.max(...denied.map((d) => d.retryAfter)))
}

/** A successful login forgives the account's earlier failures (the IP counter keeps running). */
export async function clearAccountAttempts(env: Env, account: string): Promise<void> {
  await limiter(env, `login-account:${account}`).reset()
}

/**
 * Counts one public `POST /log` write against its caller (`user:<id>` with a bearer, else
 * `ip:<address>`), throwing a 429 naming the wait past LOG_LIMIT_PER_MINUTE.
 */
export async function chargeLogWrite(env: Env, config: Config, caller: string): Promise<void> {
  const d = await limiter(env, `log:${caller}`).hit(config.LOG_LIMIT_PER_MINUTE, 60)
  if (!d.allowed) throw rateLimited(d.retryAfter)
}
