import { describe, expect, it } from 'vitest';
import { alignmentCentres, encodeQr, qrPath, QrTooLongError, type QrMatrix } from './qrcode';
// Golden vectors drawn by the Go encoder behind the server's VietQR images (github.com/boombuler/barcode,
// level M, automatic mode, which picks byte mode for these texts): for each version 1–40 the longest text
// of the pattern below that fits it, and a few texts of their own, the smaller ones module by module.
import vectorsText from './testdata/qr-vectors.json?raw';

interface Vector {
  readonly length?: number;
  readonly text?: string;
  readonly version: number;
  readonly sha256: string;
  readonly rows?: readonly string[];
}

const vectors = JSON.parse(vectorsText) as Vector[];

/** The text of a length-only vector (the generator's pattern). */
function patternText(n: number): string {
  const cycle = 'abcdefghijklmnopqrstuvwxyz0123456789-_~.';
  let s = 'https://goodgo.vn/p?q=';
  for (let i = 0; s.length < n; i++) s += cycle[i % cycle.length];
  return s.slice(0, n);
}

function rows(m: QrMatrix): string[] {
  const out: string[] = [];
  for (let y = 0; y < m.size; y++) {
    let line = '';
    for (let x = 0; x < m.size; x++) line += m.dark(x, y) ? '1' : '0';
    out.push(line);
  }
  return out;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('encodeQr', () => {
  it('has a vector for every version', () => {
    expect(new Set(vectors.map((v) => v.version)).size).toBe(40);
  });

  for (const v of vectors) {
    const text = v.text ?? patternText(v.length!);
    it(`matches the Go encoder: version ${v.version}, ${text.length} characters${v.text ? ` "${v.text.slice(0, 24)}…"` : ''}`, async () => {
      const m = encodeQr(text);
      expect(m.version).toBe(v.version);
      expect(m.size).toBe(v.version * 4 + 17);
      const got = rows(m);
      if (v.rows) expect(got).toEqual(v.rows);
      expect(await sha256(got.join('\n'))).toBe(v.sha256);
    });
  }

  it('takes the next version for one byte more than a version holds', () => {
    const full = vectors.find((v) => v.version === 9 && v.length)!;
    expect(encodeQr(patternText(full.length!)).version).toBe(9);
    expect(encodeQr(patternText(full.length! + 1)).version).toBe(10);
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 14 bytes fill version 1 at level M; "đ" takes two.
    expect(encodeQr('a'.repeat(14)).version).toBe(1);
    expect(encodeQr('đ'.repeat(7)).version).toBe(1);
    expect(encodeQr('đ'.repeat(8)).version).toBe(2);
  });

  it('refuses text longer than version 40 holds', () => {
    expect(() => encodeQr('a'.repeat(2332))).toThrow(QrTooLongError);
    expect(encodeQr('a'.repeat(2331)).version).toBe(40);
  });
});

describe('alignmentCentres', () => {
  const cases: { version: number; want: number[] }[] = [
    { version: 1, want: [] },
    { version: 2, want: [6, 18] },
    { version: 7, want: [6, 22, 38] },
    { version: 15, want: [6, 26, 48, 70] },
    { version: 32, want: [6, 34, 60, 86, 112, 138] },
    { version: 36, want: [6, 24, 50, 76, 102, 128, 154] },
    { version: 40, want: [6, 30, 58, 86, 114, 142, 170] },
  ];
  for (const c of cases) {
    it(`version ${c.version}`, () => {
      expect(alignmentCentres(c.version)).toEqual(c.want);
    });
  }
});

describe('qrPath', () => {
  it('draws each run of dark modules once, shifted by the quiet zone', () => {
    const m: QrMatrix = { version: 1, size: 3, mask: 0, dark: (x, y) => (y === 0 ? x < 2 : y === 2 && x === 2) };
    expect(qrPath(m, 4)).toBe('M4 4h2v1h-2zM6 6h1v1h-1z');
  });
});
