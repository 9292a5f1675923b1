// A photo's pixel size from its header (JPEG or PNG), for its reference in a record: no decoding.

export interface ImageInfo {
  mime: 'image/jpeg' | 'image/png'
  width: number
  height: number
}

/** Width, height and type of a JPEG or PNG; undefined for anything else. */
export function imageInfo(bytes: Uint8Array): ImageInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  if (bytes.length >= 24 && png.every((b, i) => bytes[i] === b)) {
    return { mime: 'image/png', width: view.getUint32(16), height: view.getUint32(20) }
  }
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined
  let i = 2
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return undefined
    const marker = bytes[i + 1]
    if (marker === 0xff) {
      i += 1 // fill byte
      continue
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2 // markers without a length
      continue
    }
    const length = view.getUint16(i + 2)
    // Start of frame (baseline, progressive, ...): not DHT (C4), JPG (C8) or DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > bytes.length) return undefined
      return { mime: 'image/jpeg', height: view.getUint16(i + 5), width: view.getUint16(i + 7) }
    }
    if (marker === 0xda) return undefined // image data before any frame header
    i += 2 + length
  }
  return undefined
}
