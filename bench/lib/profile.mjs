// CPU profiles of a Worker's isolate (the Worker + its Durable Objects) through workerd's V8
// inspector: sampled while a load runs, summarised by function.
import { inspectorSession } from './inspector.mjs'

/** Starts sampling `worker`'s isolate; `stop()` resolves the V8 CPU profile. */
export async function startProfile(inspectorPort, worker, intervalUs = 200) {
  const session = await inspectorSession(inspectorPort, worker)
  await session.send('Profiler.enable')
  await session.send('Profiler.setSamplingInterval', { interval: intervalUs })
  await session.send('Profiler.start')
  return {
    async stop() {
      try {
        return (await session.send('Profiler.stop')).result?.profile
      } finally {
        session.close()
      }
    },
  }
}

/**
 * Self and inclusive sample shares by function. `groups` maps a label to a predicate on the
 * function name / url; a sample counts for a group when any frame on its stack matches.
 */
export function summarizeProfile(profile, groups) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const counts = new Map()
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1)
  let total = 0
  let idle = 0
  const self = new Map()
  const grouped = Object.fromEntries(Object.keys(groups).map((k) => [k, 0]))
  for (const [nodeId, n] of counts) {
    const node = byId.get(nodeId)
    const name = node.callFrame.functionName || '(anonymous)'
    if (name === '(idle)') {
      idle += n
      continue
    }
    total += n
    const key = `${name} ${shortUrl(node.callFrame.url)}`.trim()
    self.set(key, (self.get(key) ?? 0) + n)
    const stack = []
    for (let cur = nodeId; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur).callFrame)
    for (const [label, match] of Object.entries(groups))
      if (stack.some((f) => match(f.functionName, f.url))) grouped[label] += n
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 12)
  return {
    busyShare: total / Math.max(1, total + idle),
    top: top.map(([k, n]) => ({ fn: k, share: n / Math.max(1, total) })),
    groups: Object.fromEntries(Object.entries(grouped).map(([k, n]) => [k, n / Math.max(1, total)])),
  }
}

const shortUrl = (url) => (url ? `(${url.replace(/^.*\//, '').slice(0, 40)})` : '')
