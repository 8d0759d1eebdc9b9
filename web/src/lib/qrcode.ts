// A QR code encoder (ISO/IEC 18004), for codes the server does not draw: the
// VNPay, MoMo and ZaloPay pages a customer scans from the POS screen. Text is
// encoded as UTF-8 in byte mode at error-correction level M (15% recovery),
// in the smallest version (1–40) that holds it, with the mask of lowest
// penalty. Pure and synchronous; the golden tests compare it module by module
// with the Go encoder that draws the VietQR images.

/** A QR symbol: size × size modules, without the quiet zone; dark(x, y) with (0, 0) top left. */
export interface QrMatrix {
  readonly version: number;
  readonly size: number;
  readonly mask: number;
  dark(x: number, y: number): boolean;
}

/** The text does not fit in a version-40 symbol at level M. */
export class QrTooLongError extends Error {
  override readonly name = 'QrTooLongError';
}

// Level M, by version (index 0 unused): error-correction codewords per block, and blocks.
const eccPerBlock = [
  0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
];
const blockCount = [
  0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37,
  38, 40, 43, 45, 47, 49,
];
const levelBitsM = 0b00;

/** Encodes text (UTF-8, byte mode, level M). Throws QrTooLongError when it does not fit. */
export function encodeQr(text: string): QrMatrix {
  const bytes = new TextEncoder().encode(text);
  const version = smallestVersion(bytes.length);
  const layout = new Layout(version);
  const codewords = withErrorCorrection(dataCodewords(bytes, version), version);
  layout.placeData(codewords);
  let best: Layout | undefined;
  let bestScore = Infinity;
  for (let mask = 0; mask < 8; mask++) {
    const candidate = layout.masked(mask);
    const score = penalty(candidate);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  const chosen = best!;
  return {
    version,
    size: chosen.size,
    mask: chosen.mask,
    dark: (x, y) => chosen.get(x, y),
  };
}

/** Returns the smallest version whose data capacity holds n bytes in byte mode. */
function smallestVersion(n: number): number {
  for (let v = 1; v <= 40; v++) {
    const bits = 4 + countBits(v) + 8 * n;
    if (bits <= dataCodewordCount(v) * 8) return v;
  }
  throw new QrTooLongError(`${n} bytes do not fit in a QR code`);
}

/** Bits of the byte-mode character count. */
function countBits(version: number): number {
  return version < 10 ? 8 : 16;
}

const dataCapacityCache = new Map<number, number>();

/** Data codewords of a version at level M: all codewords less the error correction. */
function dataCodewordCount(version: number): number {
  let n = dataCapacityCache.get(version);
  if (n === undefined) {
    n = Math.floor(new Layout(version).dataCapacity() / 8) - eccPerBlock[version]! * blockCount[version]!;
    dataCapacityCache.set(version, n);
  }
  return n;
}

/** The data codewords: mode, count, bytes, terminator and padding. */
function dataCodewords(bytes: Uint8Array, version: number): Uint8Array {
  const capacity = dataCodewordCount(version);
  const bits: number[] = [];
  const put = (value: number, length: number): void => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4);
  put(bytes.length, countBits(version));
  for (const b of bytes) put(b, 8);
  put(0, Math.min(4, capacity * 8 - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  const out = new Uint8Array(capacity);
  let i = 0;
  for (; i * 8 < bits.length; i++) {
    let byte = 0;
    for (let k = 0; k < 8; k++) byte = (byte << 1) | bits[i * 8 + k]!;
    out[i] = byte;
  }
  for (let pad = 0; i < capacity; i++, pad++) out[i] = pad % 2 === 0 ? 0xec : 0x11;
  return out;
}

/** Splits data into blocks, adds each block's Reed–Solomon codewords, and interleaves them. */
function withErrorCorrection(data: Uint8Array, version: number): Uint8Array {
  const blocks = blockCount[version]!;
  const ecc = eccPerBlock[version]!;
  const shortLength = Math.floor(data.length / blocks);
  const longBlocks = data.length % blocks;
  const generator = rsGenerator(ecc);
  const dataBlocks: Uint8Array[] = [];
  const eccBlocks: Uint8Array[] = [];
  let offset = 0;
  for (let b = 0; b < blocks; b++) {
    // The longer blocks come last.
    const length = shortLength + (b >= blocks - longBlocks ? 1 : 0);
    const block = data.subarray(offset, offset + length);
    offset += length;
    dataBlocks.push(block);
    eccBlocks.push(rsRemainder(block, generator));
  }
  const out: number[] = [];
  for (let i = 0; i <= shortLength; i++) {
    for (const block of dataBlocks) if (i < block.length) out.push(block[i]!);
  }
  for (let i = 0; i < ecc; i++) {
    for (const block of eccBlocks) out.push(block[i]!);
  }
  return Uint8Array.from(out);
}

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
const gfExp = new Uint8Array(512);
const gfLog = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    gfExp[i] = x;
    gfLog[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) gfExp[i] = gfExp[i - 255]!;
}

function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : gfExp[gfLog[a]! + gfLog[b]!]!;
}

/** The generator polynomial (x − α^0)(x − α^1)…(x − α^(degree−1)), highest coefficient (1) first. */
function rsGenerator(degree: number): Uint8Array {
  let poly = [1];
  for (let i = 0; i < degree; i++) {
    const next = new Array<number>(poly.length + 1).fill(0);
    for (let j = 0; j < poly.length; j++) {
      next[j]! ^= poly[j]!;
      next[j + 1]! ^= gfMul(poly[j]!, gfExp[i]!);
    }
    poly = next;
  }
  return Uint8Array.from(poly);
}

/** The remainder of data × x^degree divided by the generator: the block's error-correction codewords. */
function rsRemainder(data: Uint8Array, generator: Uint8Array): Uint8Array {
  const degree = generator.length - 1;
  const rem = new Uint8Array(degree);
  for (const d of data) {
    const factor = d ^ rem[0]!;
    rem.copyWithin(0, 1);
    rem[degree - 1] = 0;
    for (let i = 0; i < degree; i++) rem[i]! ^= gfMul(generator[i + 1]!, factor);
  }
  return rem;
}

/** The modules of one symbol and which of them are function patterns (never masked). */
class Layout {
  readonly version: number;
  readonly size: number;
  mask = -1;
  readonly #dark: Uint8Array;
  readonly #fixed: Uint8Array;

  constructor(version: number, from?: Layout) {
    this.version = version;
    this.size = version * 4 + 17;
    if (from) {
      this.#dark = from.#dark.slice();
      this.#fixed = from.#fixed;
      return;
    }
    this.#dark = new Uint8Array(this.size * this.size);
    this.#fixed = new Uint8Array(this.size * this.size);
    this.#drawFunctionPatterns();
  }

  get(x: number, y: number): boolean {
    return this.#dark[y * this.size + x] === 1;
  }

  /** Modules left for data and error correction. */
  dataCapacity(): number {
    let n = 0;
    for (const f of this.#fixed) if (f === 0) n++;
    return n;
  }

  /** Writes the codewords, most significant bit first, up and down two-module columns from the bottom right. */
  placeData(codewords: Uint8Array): void {
    const total = codewords.length * 8;
    let bit = 0;
    let upward = true;
    for (let right = this.size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5; // the vertical timing pattern takes column 6
      for (let step = 0; step < this.size; step++) {
        const y = upward ? this.size - 1 - step : step;
        for (let dx = 0; dx < 2; dx++) {
          const x = right - dx;
          if (this.#fixed[y * this.size + x]) continue;
          const on = bit < total && ((codewords[bit >>> 3]! >>> (7 - (bit & 7))) & 1) === 1;
          this.#dark[y * this.size + x] = on ? 1 : 0;
          bit++;
        }
      }
      upward = !upward;
    }
  }

  /** A copy with mask applied to the data modules and the format information written for it. */
  masked(mask: number): Layout {
    const out = new Layout(this.version, this);
    out.mask = mask;
    for (let y = 0; y < this.size; y++) {
      for (let x = 0; x < this.size; x++) {
        const i = y * this.size + x;
        if (!this.#fixed[i] && maskHit(mask, x, y)) out.#dark[i] = this.#dark[i]! ^ 1;
      }
    }
    out.#drawFormat(mask);
    return out;
  }

  #set(x: number, y: number, dark: boolean): void {
    const i = y * this.size + x;
    this.#dark[i] = dark ? 1 : 0;
    this.#fixed[i] = 1;
  }

  #drawFunctionPatterns(): void {
    const n = this.size;
    // Timing patterns first: the finders and alignment patterns overwrite their ends.
    for (let i = 0; i < n; i++) {
      this.#set(6, i, i % 2 === 0);
      this.#set(i, 6, i % 2 === 0);
    }
    this.#drawFinder(3, 3);
    this.#drawFinder(n - 4, 3);
    this.#drawFinder(3, n - 4);
    const centres = alignmentCentres(this.version);
    const last = centres.length - 1;
    for (let i = 0; i <= last; i++) {
      for (let j = 0; j <= last; j++) {
        // Not where a finder sits.
        if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
        this.#drawAlignment(centres[i]!, centres[j]!);
      }
    }
    this.#drawFormat(0); // reserves the format areas and the dark module; masked() writes the real bits
    this.#drawVersion();
  }

  /** A finder pattern centred on (cx, cy) with its light separator. */
  #drawFinder(cx: number, cy: number): void {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= this.size || y >= this.size) continue;
        const ring = Math.max(Math.abs(dx), Math.abs(dy));
        this.#set(x, y, ring !== 2 && ring !== 4);
      }
    }
  }

  #drawAlignment(cx: number, cy: number): void {
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) this.#set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }

  /** The 15 format bits (level and mask, BCH-protected), twice, and the dark module. */
  #drawFormat(mask: number): void {
    const bits = formatBits(mask);
    const bit = (i: number): boolean => ((bits >>> i) & 1) === 1;
    const n = this.size;
    // Around the top-left finder: bits 0–5 down column 8, 6–8 round its corner, 9–14 along row 8 (the timing
    // row and column are skipped).
    for (let i = 0; i <= 5; i++) this.#set(8, i, bit(i));
    this.#set(8, 7, bit(6));
    this.#set(8, 8, bit(7));
    this.#set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.#set(14 - i, 8, bit(i));
    // The copy: under the top-right finder and beside the bottom-left one.
    for (let i = 0; i < 8; i++) this.#set(n - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.#set(8, n - 15 + i, bit(i));
    this.#set(8, n - 8, true);
  }

  /** Versions 7 and up carry their number, BCH-protected, in two 6 × 3 blocks. */
  #drawVersion(): void {
    if (this.version < 7) return;
    let rem = this.version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (this.version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const on = ((bits >>> i) & 1) === 1;
      const a = this.size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      this.#set(a, b, on);
      this.#set(b, a, on);
    }
  }
}

/** The 15-bit format information of level M with mask: BCH(15,5), XOR 101010000010010. */
function formatBits(mask: number): number {
  const data = (levelBitsM << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

/** Row and column centres of the alignment patterns of version (none for version 1). */
export function alignmentCentres(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const last = version * 4 + 10;
  // Evenly spaced back from the last one with an even step; version 32 is the spec's exception.
  const step = version === 32 ? 26 : Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const out = [6];
  for (let i = count - 2; i >= 0; i--) out.push(last - i * step);
  return out;
}

function maskHit(mask: number, x: number, y: number): boolean {
  switch (mask) {
    case 0:
      return (x + y) % 2 === 0;
    case 1:
      return y % 2 === 0;
    case 2:
      return x % 3 === 0;
    case 3:
      return (x + y) % 3 === 0;
    case 4:
      return (Math.floor(y / 2) + Math.floor(x / 3)) % 2 === 0;
    case 5:
      return ((x * y) % 2) + ((x * y) % 3) === 0;
    case 6:
      return (((x * y) % 2) + ((x * y) % 3)) % 2 === 0;
    default:
      return (((x + y) % 2) + ((x * y) % 3)) % 2 === 0;
  }
}

const finderLike = [
  [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0],
  [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1],
];

/**
 * The spec's penalty of a masked symbol: runs of five or more of one colour
 * in a row or column, 2 × 2 blocks of one colour, finder-like 1:1:3:1:1
 * patterns with four light modules on one side, and the dark share's distance
 * from half in 5% steps.
 */
function penalty(m: Layout): number {
  const n = m.size;
  let score = 0;
  // Runs, along rows (horizontal) and columns (vertical).
  for (let a = 0; a < n; a++) {
    for (const horizontal of [true, false]) {
      let run = 0;
      let colour = false;
      for (let b = 0; b < n; b++) {
        const dark = horizontal ? m.get(b, a) : m.get(a, b);
        if (b > 0 && dark === colour) {
          run++;
        } else {
          if (run >= 5) score += run - 2;
          colour = dark;
          run = 1;
        }
      }
      if (run >= 5) score += run - 2;
    }
  }
  // 2 × 2 blocks.
  for (let y = 0; y < n - 1; y++) {
    for (let x = 0; x < n - 1; x++) {
      const c = m.get(x, y);
      if (m.get(x + 1, y) === c && m.get(x, y + 1) === c && m.get(x + 1, y + 1) === c) score += 3;
    }
  }
  // Finder-like patterns.
  const len = finderLike[0]!.length;
  for (let a = 0; a < n; a++) {
    for (let b = 0; b + len <= n; b++) {
      for (const horizontal of [true, false]) {
        const found = finderLike.some((p) => p.every((v, k) => (horizontal ? m.get(b + k, a) : m.get(a, b + k)) === (v === 1)));
        if (found) score += 40;
      }
    }
  }
  // Balance.
  let darkCount = 0;
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if (m.get(x, y)) darkCount++;
  const percent = (darkCount * 100) / (n * n);
  score += Math.min(Math.abs(Math.floor(percent / 5) - 10), Math.abs(Math.ceil(percent / 5) - 10)) * 10;
  return score;
}

/**
 * Returns an SVG path (in module units, quiet zone included) that draws the
 * dark modules as horizontal runs: compact enough for a version-40 code.
 */
export function qrPath(m: QrMatrix, quiet = 4): string {
  const parts: string[] = [];
  for (let y = 0; y < m.size; y++) {
    let x = 0;
    while (x < m.size) {
      if (!m.dark(x, y)) {
        x++;
        continue;
      }
      const start = x;
      while (x < m.size && m.dark(x, y)) x++;
      parts.push(`M${start + quiet} ${y + quiet}h${x - start}v1h${start - x}z`);
    }
  }
  return parts.join('');
}
