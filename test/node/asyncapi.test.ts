import { readFileSync } from 'node:fs'
import { Parser } from '@asyncapi/parser'
import { describe, expect, it } from 'vitest'
import { asyncApiDocument } from '../../src/worker/routes/asyncapi'

// @asyncapi/parser needs Node (it is not bundled for workerd), so this runs in the `node` project.
const doc = asyncApiDocument('localhost:8787', false)

/** Every message name of a channel in the document. */
const names = (channel: string) =>
  Object.values(
    (doc.channels as Record<string, { messages: Record<string, { name: string }> }>)[channel].messages,
  ).map((m) => m.name)

describe('/asyncapi.json', () => {
  it('should be a valid AsyncAPI 3 document by @asyncapi/parser, with no errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc))
    const problems = diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => `${d.code} ${d.message} at ${d.path.join('.')}`)
    expect(problems).toEqual([])
    expect(document).toBeDefined()
    expect(document!.version()).toBe('3.0.0')
    expect(document!.channels().length).toBe(8)
    // A payload really is the zod schema: send_message needs room_id, and may name files.
    const send = document!.channels().get('chat')!.messages().get('send_message')!
    expect(send.payload()!.required()).toEqual(expect.arrayContaining(['type', 'room_id']))
    expect(Object.keys(send.payload()!.properties() ?? {})).toEqual(
      expect.arrayContaining(['content', 'message_type', 'file_ids']),
    )
  })

  it('should be checked for real: the parser reports an error for a broken copy', async () => {
    const broken = structuredClone(doc) as any
    broken.operations['chat.receive.send_message'].action = 'shout'
    const { diagnostics } = await new Parser().parse(JSON.stringify(broken))
    expect(diagnostics.some((d) => d.severity === 0)).toBe(true)
  })

  it('should list every frame type and Socket.IO event the README names', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const section = (title: string) => {
      const start = readme.indexOf(title)
      const end = readme.indexOf('\n## ', start + 1)
      return readme.slice(start, end)
    }
    // JSON chat: the client table's first column and every "type" in the server frames block.
    const chat = section('## Chat: JSON WebSocket protocol')
    const chatTypes = new Set([
      ...[...chat.matchAll(/^\| `(\w+)`(?: \/ `(\w+)`)? +\|/gm)].flatMap((m) => [m[1], m[2]]).filter(Boolean),
      ...[...chat.matchAll(/"type":"(\w+)"/g)].map((m) => m[1]),
      'user_left',
    ])
    expect(chatTypes.size).toBeGreaterThan(15)
    for (const t of chatTypes) expect(names('chat'), `chat frame ${t}`).toContain(t)

    const liveChat = section('## Live chat (seed 004)')
    const liveChatTypes = [...liveChat.matchAll(/`(?:\{"type":")?(\w+)(?:"| \{| \/|`)/g)]
      .map((m) => m[1])
      .filter((t) =>
        /^(send_message|typing|typing_start|typing_stop|new_message|message_ack|user_connected|user_disconnected|session_closed|error)$/.test(
          t,
        ),
      )
    expect(new Set(liveChatTypes).size).toBe(10)
    for (const t of liveChatTypes) expect(names('liveChat'), `live-chat frame ${t}`).toContain(t)

    const live = section('#### Session events socket')
    const liveTypes = [...live.matchAll(/^\| `(\w+)` +\|/gm)].map((m) => m[1])
    expect(liveTypes.length).toBe(9)
    for (const t of [...liveTypes, 'ping'])
      expect(names('liveSession'), `live-session frame ${t}`).toContain(t)

    const sio = section('### Namespaces and events')
    const byNamespace: Record<string, string[]> = {
      sioRoom: [
        'chat-message',
        'position',
        'user-connection',
        'user-disconnect',
        'room-record',
        'agentCar',
        'conference-status',
      ],
      sioMobile: ['location', 'status', 'message'],
      sioNotification: ['new', 'update', 'all', 'unread', 'read'],
      sioQueue: ['queue-update'],
      sioNewQueue: ['queue-update', 'newcase'],
    }
    for (const [channel, events] of Object.entries(byNamespace))
      for (const e of events) {
        expect(sio, `README names ${e}`).toContain(`\`${e}\``)
        expect(names(channel), `${channel} event ${e}`).toContain(e)
      }
  })
})
