/** Whether `v` is a JSON object (not null, not an array), checked without walking its keys. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
