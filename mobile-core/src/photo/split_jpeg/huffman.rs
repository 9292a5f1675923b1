//! Huffman decoding: a table built from a DHT segment's code counts and symbols (a look-up of
//! the next `LOOKUP_BITS` bits for short codes, with AC code and value decoded together where
//! both fit, and the canonical per-length search for longer ones), and the MSB-first bit reader
//! over the destuffed scan that reads symbols and their extra bits with it.

pub(super) const LOOKUP_BITS: u32 = 9;

#[derive(Clone)]
pub(super) struct Huffman {
    /// Indexed by the next `LOOKUP_BITS` bits: code length << 8 | symbol; 0 = longer code.
    lookup: Vec<u16>,
    /// Per code length 1..=16: largest code (-1: none), and offset into `symbols`.
    max_code: [i32; 18],
    offset: [i32; 17],
    symbols: Vec<u8>,
    /// For AC tables, indexed like `lookup`: a code and its extra bits that fit in
    /// `LOOKUP_BITS` together, decoded: value << 16 | run << 8 | bits used; 0 = not such a code.
    pub(super) fast_ac: Vec<i32>,
}

impl Huffman {
    pub(super) fn new(counts: &[u8; 16], symbols: &[u8]) -> Option<Huffman> {
        let mut t = Huffman {
            lookup: vec![0; 1 << LOOKUP_BITS],
            max_code: [-1; 18],
            offset: [0; 17],
            symbols: symbols.to_vec(),
            fast_ac: vec![0; 1 << LOOKUP_BITS],
        };
        let mut code: i32 = 0;
        let mut k: i32 = 0;
        for len in 1..=16usize {
            let n = i32::from(counts[len - 1]);
            t.offset[len] = k - code;
            if n > 0 {
                if len as u32 <= LOOKUP_BITS {
                    for i in 0..n {
                        let c = (code + i) as usize;
                        let shift = LOOKUP_BITS - len as u32;
                        let entry = (len as u16) << 8 | u16::from(*symbols.get((k + i) as usize)?);
                        for fill in 0..(1usize << shift) {
                            *t.lookup.get_mut(c << shift | fill)? = entry;
                        }
                    }
                }
                code += n;
                k += n;
                t.max_code[len] = code - 1;
                if code > 1 << len {
                    return None; // more codes than the length allows
                }
            }
            code <<= 1;
        }
        t.max_code[17] = i32::MAX;
        for (i, &entry) in t.lookup.iter().enumerate() {
            let (len, rs) = (u32::from(entry >> 8), entry as u8);
            let (run, size) = (i32::from(rs >> 4), u32::from(rs & 15));
            if entry == 0 || size == 0 || len + size > LOOKUP_BITS {
                continue;
            }
            // The extra bits follow the code inside the same peeked bits.
            let raw = ((i as u32) >> (LOOKUP_BITS - len - size)) & ((1 << size) - 1);
            let value = extend(raw as i32, size);
            t.fast_ac[i] = value << 16 | run << 8 | (len + size) as i32;
        }
        Some(t)
    }
}

/// MSB-first bit reader over destuffed data (which ends with 8 zero bytes of padding).
pub(super) struct Bits<'a> {
    data: &'a [u8],
    /// Next byte to load.
    pos: usize,
    acc: u64,
    count: u32,
    /// Bits of real data (without the padding).
    limit: usize,
}

impl<'a> Bits<'a> {
    pub(super) fn at(data: &'a [u8], bit: usize) -> Self {
        let mut b = Bits { data, pos: bit / 8, acc: 0, count: 0, limit: (data.len() - 8) * 8 };
        b.refill();
        b.skip((bit % 8) as u32);
        b
    }

    /// Bits consumed from the start of the data.
    pub(super) fn position(&self) -> usize {
        self.pos * 8 - self.count as usize
    }

    pub(super) fn exhausted(&self) -> bool {
        self.position() > self.limit
    }

    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if self.count <= 32 {
            let word = match self.data.get(self.pos..self.pos + 4) {
                Some(w) => u32::from_be_bytes([w[0], w[1], w[2], w[3]]),
                None => 0,
            };
            self.acc |= u64::from(word) << (32 - self.count);
            self.pos += 4;
            self.count += 32;
        }
    }

    #[inline(always)]
    pub(super) fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    #[inline(always)]
    pub(super) fn skip(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// One Huffman symbol; `None` for a code the table does not have.
    #[inline(always)]
    pub(super) fn symbol(&mut self, t: &Huffman) -> Option<u8> {
        self.refill();
        let entry = t.lookup[self.peek(LOOKUP_BITS) as usize];
        if entry != 0 {
            self.skip(u32::from(entry >> 8));
            return Some(entry as u8);
        }
        let mut len = LOOKUP_BITS as usize + 1;
        let mut code = self.peek(len as u32) as i32;
        while code > t.max_code[len] {
            len += 1;
            if len > 16 {
                return None;
            }
            code = self.peek(len as u32) as i32;
        }
        self.skip(len as u32);
        t.symbols.get((code + t.offset[len]) as usize).copied()
    }

    /// `size` extra bits as a signed coefficient (JPEG's EXTEND).
    #[inline(always)]
    pub(super) fn value(&mut self, size: u8) -> i32 {
        if size == 0 {
            return 0;
        }
        let size = u32::from(size);
        let v = self.peek(size) as i32;
        self.skip(size);
        extend(v, size)
    }
}

/// JPEG's EXTEND: `size` raw bits as a signed value.
#[inline(always)]
fn extend(raw: i32, size: u32) -> i32 {
    if raw < 1 << (size - 1) { raw - (1 << size) + 1 } else { raw }
}
