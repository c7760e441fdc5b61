// Small statistics and formatting helpers.

/** Percentile (0..100) of a numeric array (sorted in place). */
export function percentile(values, p) {
  if (!values.length) return NaN
  values.sort((a, b) => a - b)
  const i = Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1))
  return values[i]
}

export function summarize(latencies) {
  const v = Float64Array.from(latencies)
  v.sort()
  const at = (p) =>
    v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] : NaN
  return { n: v.length, p50: at(50), p99: at(99), p999: at(99.9), max: v.length ? v[v.length - 1] : NaN }
}

export const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a'

export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN)
