/** Epoch milliseconds → ISO-8601, null-safe. The API speaks ISO; D1 stores milliseconds. */
export function iso(ms: number): string
export function iso(ms: number | null | undefined): string | null
export function iso(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString()
}
