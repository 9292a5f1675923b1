"""Test helper (not a test): writes real JPEG and PNG files with the standard library only.

The phone core decodes every photo it is given (to make a thumbnail and a preview), so the tests need genuine
image files, and Pillow is not available. `jpeg_bytes` is a small baseline JPEG encoder (JFIF, 8-bit, YCbCr 4:4:4 or
greyscale, one DCT per 8x8 block, Huffman coded); `png_bytes` writes an 8-bit RGB PNG. Both take the picture as a
function `pixel(x, y) -> (r, g, b)`. `jpeg_size` reads the width and height back from a JPEG's frame header.
"""

import math
import struct
import zlib

__all__ = ["jpeg_bytes", "png_bytes", "jpeg_size", "site_picture"]


def _zigzag():
    """Natural (row * 8 + column) index of each zigzag position."""
    order = []
    for s in range(15):
        rows = range(max(0, s - 7), min(s, 7) + 1)
        if s % 2 == 0:
            rows = reversed(rows)
        order.extend(r * 8 + (s - r) for r in rows)
    return order


_ZIGZAG = _zigzag()

# The example quantisation tables of the JPEG standard (Annex K), natural order.
_LUMA_Q = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]
_CHROMA_Q = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99,
] + [99] * 32


def _scaled(table, quality):
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return [min(255, max(1, (q * scale + 50) // 100)) for q in table]


# Huffman tables: any canonical table is valid JPEG, so rather than transcribing the standard's tables this uses
# fixed-length codes: 4 bits for the 12 DC categories, 8 bits for the 162 AC symbols (EOB, ZRL, run/size pairs).
# Neither uses the all-ones code, which JPEG forbids.
_DC_SYMBOLS = list(range(12))
_AC_SYMBOLS = [0x00, 0xF0] + [(run << 4) | size for run in range(16) for size in range(1, 11)]
_DC_CODE = {sym: (i, 4) for i, sym in enumerate(_DC_SYMBOLS)}
_AC_CODE = {sym: (i, 8) for i, sym in enumerate(_AC_SYMBOLS)}

# DCT basis: _COS[u][x] = C(u) / 2 * cos((2x + 1) u pi / 16).
_COS = [[(math.sqrt(0.5) if u == 0 else 1.0) / 2 * math.cos((2 * x + 1) * u * math.pi / 16) for x in range(8)]
        for u in range(8)]


class _BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def write(self, value, length):
        self.acc = (self.acc << length) | (value & ((1 << length) - 1))
        self.n += length
        while self.n >= 8:
            self.n -= 8
            byte = (self.acc >> self.n) & 0xFF
            self.out.append(byte)
            if byte == 0xFF:
                self.out.append(0x00)  # byte stuffing
        self.acc &= (1 << self.n) - 1

    def finish(self):
        if self.n:
            self.write((1 << (8 - self.n)) - 1, 8 - self.n)  # pad with 1 bits
        return bytes(self.out)


def _category(v):
    return abs(v).bit_length()


def _value_bits(v, size):
    return v if v >= 0 else v + (1 << size) - 1


def _fdct_quantise(block, q):
    """Forward DCT of a level-shifted 8x8 block (list of 64, row-major), quantised, in zigzag order."""
    rows = [[sum(_COS[u][x] * block[y * 8 + x] for x in range(8)) for u in range(8)] for y in range(8)]
    coeffs = [0.0] * 64
    for v in range(8):
        cv = _COS[v]
        for u in range(8):
            coeffs[v * 8 + u] = sum(cv[y] * rows[y][u] for y in range(8))
    return [int(round(coeffs[_ZIGZAG[k]] / q[_ZIGZAG[k]])) for k in range(64)]


def _encode_block(bits, zz, prev_dc):
    diff = zz[0] - prev_dc
    size = _category(diff)
    bits.write(*_DC_CODE[size])
    if size:
        bits.write(_value_bits(diff, size), size)
    run = 0
    for k in range(1, 64):
        v = zz[k]
        if v == 0:
            run += 1
            continue
        while run > 15:
            bits.write(*_AC_CODE[0xF0])
            run -= 16
        size = _category(v)
        bits.write(*_AC_CODE[(run << 4) | size])
        bits.write(_value_bits(v, size), size)
        run = 0
    if run:
        bits.write(*_AC_CODE[0x00])
    return zz[0]


def _segment(marker, payload):
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def jpeg_bytes(width, height, pixel, quality=85, grey=False):
    """A baseline JPEG of `width` x `height` pixels; `pixel(x, y)` gives (r, g, b) in 0..255."""
    if not (0 < width < 65536 and 0 < height < 65536):
        raise ValueError("bad size")
    pw, ph = (width + 7) // 8 * 8, (height + 7) // 8 * 8
    planes = [[0.0] * (pw * ph) for _ in range(1 if grey else 3)]
    for y in range(ph):
        for x in range(pw):
            r, g, b = pixel(min(x, width - 1), min(y, height - 1))  # pad by repeating the edge
            i = y * pw + x
            luma = 0.299 * r + 0.587 * g + 0.114 * b
            planes[0][i] = luma - 128
            if not grey:
                planes[1][i] = -0.168736 * r - 0.331264 * g + 0.5 * b
                planes[2][i] = 0.5 * r - 0.418688 * g - 0.081312 * b
    tables = [_scaled(_LUMA_Q, quality), _scaled(_CHROMA_Q, quality)]
    components = [(1, 0)] if grey else [(1, 0), (2, 1), (3, 1)]  # (component id, quantisation table)

    bits = _BitWriter()
    prev = [0] * len(components)
    for by in range(0, ph, 8):
        for bx in range(0, pw, 8):
            for c, (_, tq) in enumerate(components):
                plane = planes[c]
                block = [plane[(by + y) * pw + bx + x] for y in range(8) for x in range(8)]
                prev[c] = _encode_block(bits, _fdct_quantise(block, tables[tq]), prev[c])
    scan = bits.finish()

    out = bytearray(b"\xff\xd8")
    out += _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    dqt = bytearray()
    for tq in sorted({tq for _, tq in components}):
        dqt += bytes([tq]) + bytes(tables[tq][_ZIGZAG[k]] for k in range(64))
    out += _segment(0xDB, bytes(dqt))
    sof = struct.pack(">BHHB", 8, height, width, len(components))
    for cid, tq in components:
        sof += bytes([cid, 0x11, tq])
    out += _segment(0xC0, sof)

    def dht(table_class, symbols, length):
        counts = [0] * 16
        counts[length - 1] = len(symbols)
        return bytes([table_class << 4]) + bytes(counts) + bytes(symbols)

    out += _segment(0xC4, dht(0, _DC_SYMBOLS, 4) + dht(1, _AC_SYMBOLS, 8))
    sos = bytes([len(components)])
    for cid, _ in components:
        sos += bytes([cid, 0x00])
    out += _segment(0xDA, sos + b"\x00\x3f\x00")
    out += scan
    out += b"\xff\xd9"
    return bytes(out)


def png_bytes(width, height, pixel):
    """An 8-bit RGB PNG of `width` x `height` pixels; `pixel(x, y)` gives (r, g, b)."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for x in range(width):
            raw += bytes(pixel(x, y))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")


def jpeg_size(data):
    """(width, height) from a JPEG's SOFn header."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError(f"no marker at {i}")
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise ValueError("no frame header")


def site_picture(seed):
    """A picture that differs with `seed`: a sky-to-concrete gradient with a coloured 'crane' and a dark 'slab'."""
    hue = [(200, 60, 40), (40, 120, 200), (230, 180, 30), (60, 160, 80), (150, 70, 160)][seed % 5]

    def pixel(x, y):
        if (x // 12 + seed) % 7 == 0 and y % 40 < 30:
            return hue
        if y > 50 + (seed * 7) % 30 and (x + 3 * seed) % 64 < 40:
            return (90, 90, 95)
        return ((x * 3 + seed * 17) % 256, (y * 2 + 80) % 256, (180 + x - y + seed) % 256)

    return pixel
