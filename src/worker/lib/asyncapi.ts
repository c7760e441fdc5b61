import { z } from 'zod'

/**
 * Small builders for an AsyncAPI 3.0 document whose payloads come from zod schemas (draft-07
 * JSON Schema, which AsyncAPI's schema format extends). Used by routes/asyncapi.ts.
 */

type Json = Record<string, unknown>

/** A zod schema as an AsyncAPI payload: the input side (what goes over the wire), inlined. */
export function payload(schema: z.ZodType): Json {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Json
  delete out.$schema
  return out
}

/** One message as a channel lists it. */
export interface MessageSpec {
  /** Key in the channel's `messages` (unique per channel). */
  key: string
  /** The frame's `type` or the Socket.IO event name. */
  name: string
  summary: string
  schema: z.ZodType
  /** Who sends it: the client (Switchboard receives it) or the server (Switchboard sends it). */
  from: 'client' | 'server'
  /** The Socket.IO ack the server answers a client event with. */
  ack?: z.ZodType
}

/** A channel with its messages; operations are derived from the messages' directions. */
export interface ChannelSpec {
  id: string
  address: string
  title: string
  description: string
  servers: string[]
  parameters?: Record<string, string>
  bindings?: Json
  messages: MessageSpec[]
}

/** `channels`, `operations` of an AsyncAPI 3 document for these channels. */
export function channelsAndOperations(specs: ChannelSpec[]): { channels: Json; operations: Json } {
  const channels: Json = {}
  const operations: Json = {}
  for (const ch of specs) {
    const messages: Json = {}
    for (const m of ch.messages) {
      messages[m.key] = { name: m.name, title: m.name, summary: m.summary, payload: payload(m.schema) }
      if (m.ack)
        messages[`${m.key}.ack`] = {
          name: `${m.name} (ack)`,
          title: `${m.name} ack`,
          summary: `The acknowledgement of ${m.name}`,
          payload: payload(m.ack),
        }
    }
    channels[ch.id] = {
      address: ch.address,
      title: ch.title,
      description: ch.description,
      servers: ch.servers.map((s) => ({ $ref: `#/servers/${s}` })),
      messages,
      ...(ch.parameters
        ? {
            parameters: Object.fromEntries(
              Object.entries(ch.parameters).map(([k, description]) => [k, { description }]),
            ),
          }
        : {}),
      ...(ch.bindings ? { bindings: ch.bindings } : {}),
    }
    for (const m of ch.messages) {
      const ref = (key: string) => ({ $ref: `#/channels/${ch.id}/messages/${key}` })
      operations[`${ch.id}.${m.from === 'client' ? 'receive' : 'send'}.${m.key}`] = {
        action: m.from === 'client' ? 'receive' : 'send',
        channel: { $ref: `#/channels/${ch.id}` },
        title: `${m.from === 'client' ? 'Client sends' : 'Server sends'} ${m.name}`,
        summary: m.summary,
        messages: [ref(m.key)],
        ...(m.ack
          ? { reply: { channel: { $ref: `#/channels/${ch.id}` }, messages: [ref(`${m.key}.ack`)] } }
          : {}),
      }
    }
  }
  return { channels, operations }
}

/** The members of a discriminated union of `{type: literal}` objects, keyed by their type. */
export function framesOf(union: z.ZodDiscriminatedUnion, from: 'client' | 'server'): MessageSpec[] {
  return union.options.map((o) => {
    const obj = o as z.ZodObject
    const name = (obj.shape.type as z.ZodLiteral<string>).value
    return { key: name, name, summary: obj.description ?? name, schema: obj, from }
  })
}
