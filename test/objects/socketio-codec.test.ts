import { describe, expect, it } from 'vitest'
import {
  CodecError,
  decodePayload,
  decodeSio,
  encodePayload,
  encodeSio,
  reconstruct,
  SIO,
} from '../../src/objects/socketio/codec'
import { newEngineSid, refFromSid } from '../../src/objects/socketio/refs'

describe('Socket.IO packet codec', () => {
  it('should encode an event on a namespace with an ack id', () => {
    expect(encodeSio({ type: SIO.EVENT, nsp: '/room', id: 12, data: ['chat', { a: 1 }] })).toEqual([
      '42/room,12["chat",{"a":1}]',
    ])
  })

  it('should omit the main namespace', () => {
    expect(encodeSio({ type: SIO.CONNECT, nsp: '/', data: { sid: 'x' } })).toEqual(['40{"sid":"x"}'])
  })

  it('should encode CONNECT_ERROR as an object with a message', () => {
    expect(encodeSio({ type: SIO.CONNECT_ERROR, nsp: '/r', data: { message: 'no' } })).toEqual([
      '44/r,{"message":"no"}',
    ])
  })

  it('should turn binary payloads into a BINARY_EVENT with placeholders and raw frames', () => {
    const bytes = new Uint8Array([1, 2, 3])
    const [head, raw] = encodeSio({ type: SIO.EVENT, nsp: '/r', data: ['file', { body: bytes }] })
    expect(head).toBe('451-/r,["file",{"body":{"_placeholder":true,"num":0}}]')
    expect([...new Uint8Array(raw as ArrayBuffer)]).toEqual([1, 2, 3])
  })

  it('should decode a namespaced event with an ack id', () => {
    expect(decodeSio('2/room,7["chat-message","hi"]')).toEqual({
      type: SIO.EVENT,
      nsp: '/room',
      id: 7,
      data: ['chat-message', 'hi'],
    })
  })

  it('should decode a connect with auth on the main namespace', () => {
    expect(decodeSio('0{"token":"t"}')).toEqual({ type: SIO.CONNECT, nsp: '/', data: { token: 't' } })
  })

  it('should decode a namespace disconnect', () => {
    expect(decodeSio('1/room,')).toEqual({ type: SIO.DISCONNECT, nsp: '/room' })
  })

  it('should decode a binary event header and rebuild it from attachments', () => {
    const p = decodeSio('51-/r,3["up",{"_placeholder":true,"num":0}]')
    expect(p).toMatchObject({ type: SIO.BINARY_EVENT, nsp: '/r', id: 3, attachments: 1 })
    const buf = new Uint8Array([9]).buffer
    expect(reconstruct(p.data, [buf])).toEqual(['up', buf])
  })

  it('should reject malformed packets with a CodecError naming the problem', () => {
    expect(() => decodeSio('9')).toThrow(CodecError)
    expect(() => decodeSio('2/r,{oops')).toThrow(/malformed JSON/)
    expect(() => decodeSio('2/r,{"not":"an array"}')).toThrow(/invalid payload/)
    expect(() => decodeSio('5x-[]')).toThrow(/attachment count/)
    expect(() => reconstruct({ _placeholder: true, num: 4 }, [])).toThrow(/placeholder/)
  })
})

describe('Engine.IO polling payloads', () => {
  it('should join records with the record separator and base64 binary', () => {
    const payload = encodePayload(['4hello', new Uint8Array([1, 2]).buffer, '2'])
    expect(payload).toBe('4hello\x1ebAQI=\x1e2')
    const back = decodePayload(payload)
    expect(back[0]).toBe('4hello')
    expect([...new Uint8Array(back[1] as ArrayBuffer)]).toEqual([1, 2])
    expect(back[2]).toBe('2')
  })
})

describe('Engine.IO session ids', () => {
  it('should name the object that holds the session', () => {
    const sid = newEngineSid({ kind: 'room', name: 'Room 7/ü' })
    expect(refFromSid(sid)).toEqual({ kind: 'room', name: 'Room 7/ü' })
    expect(refFromSid('garbage')).toBeUndefined()
  })
})
