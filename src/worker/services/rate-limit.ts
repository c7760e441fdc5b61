import type { Config } from '../config'
import type { Env } from '../env'
import { rateLimited } from '../lib/errors'

const limiter = (env: Env, key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key))

/** Charges one attempt to every `[key, limit]` counter; 429 naming the longest wait if any is over. */
async function chargeAll(env: Env, window: number, counters: [string, number][]): Promise<void> {
  const decisions = await Promise.all(counters.map(([key, limit]) => limiter(env, key).hit(limit, window)))
  const denied = decisions.filter((d) => !d.allowed)
  if (denied.length) throw rateLimited(Math.max(...denied.map((d) => d.retryAfter)))
}

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
  await chargeAll(env, config.LOGIN_LIMIT_WINDOW, [
    [`login-ip:${ip}`, config.LOGIN_LIMIT_PER_IP],
    [`login-account:${account}`, config.LOGIN_LIMIT_PER_ACCOUNT],
  ])
}

/**
 * Counts a join-by-code attempt against the caller's IP and account (JOIN_CODE_LIMIT_*), so the
 * 32⁶ codes cannot be guessed at speed: 429 with the wait when either is over its limit.
 */
export async function chargeJoinCodeGuess(
  env: Env,
  config: Config,
  ip: string,
  userId: string,
): Promise<void> {
  await chargeAll(env, config.JOIN_CODE_LIMIT_WINDOW, [
    [`join-code-ip:${ip}`, config.JOIN_CODE_LIMIT_PER_IP],
    [`join-code-account:${userId}`, config.JOIN_CODE_LIMIT_PER_ACCOUNT],
  ])
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
