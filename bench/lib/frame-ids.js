// Ids for the reference servers' frames (bench/floor, bench/peer), of the length and alphabet of
// Switchboard's (`src/worker/lib/ids.ts` newId: the time in base36, then 12 random base36), so a
// reference sending "the same bytes" sends as many.
export function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  let r = ''
  for (const b of bytes) r += (b % 36).toString(36)
  return Date.now().toString(36).padStart(9, '0') + r
}
