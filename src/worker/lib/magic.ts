/**
 * Leading-byte signatures ("magic numbers") of the media types uploads accept, so a file's
 * declared type is checked against what it is: random bytes sent as `image/png` are refused.
 * Types without a signature here (text, JSON, CSV, Office, zip) are not sniffed.
 */
const ascii = (s: string) => [...s].map((ch) => ch.charCodeAt(0))

/** `bytes` starts with `sig` at `offset` (`-1` in `sig` matches any byte). */
const at = (bytes: Uint8Array, offset: number, sig: number[]) =>
  bytes.length >= offset + sig.length && sig.every((b, i) => b === -1 || bytes[offset + i] === b)

const isoMedia = (b: Uint8Array) => at(b, 4, ascii('ftyp'))
const riff = (b: Uint8Array, form: string) => at(b, 0, ascii('RIFF')) && at(b, 8, ascii(form))
const ebml = (b: Uint8Array) => at(b, 0, [0x1a, 0x45, 0xdf, 0xa3])
const id3 = (b: Uint8Array) => at(b, 0, ascii('ID3'))

const SIGNATURES: Record<string, (b: Uint8Array) => boolean> = {
  'image/png': (b) => at(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': (b) => at(b, 0, [0xff, 0xd8, 0xff]),
  'image/gif': (b) => at(b, 0, ascii('GIF87a')) || at(b, 0, ascii('GIF89a')),
  'image/webp': (b) => riff(b, 'WEBP'),
  'image/heic': isoMedia,
  'image/heif': isoMedia,
  'video/mp4': isoMedia,
  'video/quicktime': (b) => isoMedia(b) || ['moov', 'mdat', 'wide', 'free'].some((a) => at(b, 4, ascii(a))),
  'video/webm': ebml,
  'video/x-matroska': ebml,
  'audio/webm': ebml,
  'audio/mp4': isoMedia,
  'audio/ogg': (b) => at(b, 0, ascii('OggS')),
  'audio/wav': (b) => riff(b, 'WAVE'),
  // MPEG audio: an ID3 tag or a frame sync (11 set bits).
  'audio/mpeg': (b) => id3(b) || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0),
  // AAC: ADTS sync (12 set bits, layer 0), ADIF, or an ID3 tag.
  'audio/aac': (b) => id3(b) || at(b, 0, ascii('ADIF')) || (b[0] === 0xff && (b[1] & 0xf6) === 0xf0),
  'application/pdf': (b) => at(b, 0, ascii('%PDF-')),
}

/** How many leading bytes `matchesSignature` needs. */
export const SIGNATURE_BYTES = 16

/**
 * Whether `head` (a file's first bytes) fits `type`: true for a matching signature and for types
 * this module does not sniff, false when an image, video, audio or PDF type does not match.
 */
export function matchesSignature(type: string, head: Uint8Array): boolean {
  const check = SIGNATURES[type]
  return !check || check(head)
}
