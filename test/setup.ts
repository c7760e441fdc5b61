import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

// Every test file starts from a migrated local D1 (idempotent: applied migrations are skipped).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
