/** Largest batched frame, in characters; a frame alone above it is sent as a batch of one. */
export const BATCH_MAX_CHARS = 64 * 1024

/**
 * One sequence of queued frames. Sockets that were sent the same frames in the same order reach
 * the same node (each node keeps its successors by frame), so a broadcast to N batched sockets
 * is joined into a batch once, not N times.
 */
interface Node {
  frame: string
  parent: Node | undefined
  next?: Map<string, Node>
  encoded?: string[]
}

/**
 * Frames queued per socket until the next batch is sent (`&batch=1`): each socket's frames go
 * out as JSON arrays, encoded once per distinct sequence and split at BATCH_MAX_CHARS.
 */
export class FrameBatches<K> {
  #root: Node = { frame: '', parent: undefined }
  #queued = new Map<K, Node>()

  get size(): number {
    return this.#queued.size
  }

  push(key: K, frame: string): void {
    const at = this.#queued.get(key) ?? this.#root
    const next = (at.next ??= new Map())
    let node = next.get(frame)
    if (!node) next.set(frame, (node = { frame, parent: at }))
    this.#queued.set(key, node)
  }

  /** Every socket's batched frames, and forgets them. */
  drain(): [K, string[]][] {
    const out: [K, string[]][] = []
    for (const [key, node] of this.#queued) out.push([key, (node.encoded ??= splitBatch(framesOf(node)))])
    this.#queued.clear()
    this.#root = { frame: '', parent: undefined }
    return out
  }
}

function framesOf(node: Node): string[] {
  const out: string[] = []
  for (let n: Node | undefined = node; n?.parent; n = n.parent) out.push(n.frame)
  return out.reverse()
}

/** Joins frames into JSON arrays of at most BATCH_MAX_CHARS characters each, in order. */
export function splitBatch(list: string[]): string[] {
  const out: string[] = []
  let chunk: string[] = []
  let size = 2
  for (const frame of list) {
    if (chunk.length && size + frame.length + 1 > BATCH_MAX_CHARS) {
      out.push(`[${chunk.join(',')}]`)
      chunk = []
      size = 2
    }
    chunk.push(frame)
    size += frame.length + 1
  }
  if (chunk.length) out.push(`[${chunk.join(',')}]`)
  return out
}
