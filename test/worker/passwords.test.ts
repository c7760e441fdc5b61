import { describe, expect, it } from 'vitest'
import {
  hashPassword,
  PBKDF2_ITERATIONS,
  PBKDF2_MAX_ITERATIONS,
  verifyPassword,
} from '../../src/worker/lib/passwords'

describe('passwords', () => {
  it('should use at most the 100,000 PBKDF2 iterations Workers allow', () => {
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000)
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS)
  })

  it('should refuse to derive above the Workers limit even though local workerd would allow it', async () => {
    await expect(hashPassword('pw', 100_001)).rejects.toThrow(/Workers limit/)
  })

  it('should record the iteration count in the hash string', async () => {
    expect(await hashPassword('pw')).toMatch(/^pbkdf2-sha256\$100000\$/)
  })

  it('should verify the right password and refuse a wrong one', async () => {
    const stored = await hashPassword('open sesame')
    expect(await verifyPassword('open sesame', stored)).toBe(true)
    expect(await verifyPassword('open sesame!', stored)).toBe(false)
  })

  it('should salt: the same password hashes differently twice', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'))
  })

  it('should never match an unknown scheme or a mangled hash', async () => {
    const stored = await hashPassword('pw')
    expect(await verifyPassword('pw', stored.replace('pbkdf2-sha256', 'md5'))).toBe(false)
    expect(await verifyPassword('pw', 'garbage')).toBe(false)
  })
})
