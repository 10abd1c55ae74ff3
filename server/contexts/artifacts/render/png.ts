// A small PNG encoder (RGB, 8 bits, filter "none" per row, zlib from node:zlib) and the built-in
// image provider's drawing. Deterministic: the same seed and size always give the same bytes,
// because deflate at a fixed level over the same input is deterministic.
import { deflateSync } from "node:zlib";

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array, start = 0xffffffff): number {
  let crc = start;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, tail]);
}

/** Encodes width × height RGB pixels (3 bytes each, rows top to bottom) as a PNG. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3) throw new Error("encodePng: pixel buffer has the wrong size");
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 6 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Width and height from a PNG's IHDR, or null when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString("ascii", 12, 16) !== "IHDR")
    return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

type Rgb = [number, number, number];

function hsl(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/**
 * Draws an image from a seed (32 bytes, e.g. a SHA-256 of the request): a vertical gradient and
 * shapes whose colours and places come from the seed, in a style — circles for "abstract",
 * hills and a sun for "illustration", boxes and a grid for "diagram", soft bands for "photo".
 * Integer arithmetic and Math functions on the same inputs: the same pixels every time.
 */
export function drawImage(seed: Uint8Array, width: number, height: number, style: string): Buffer {
  const byte = (i: number) => seed[i % seed.length]!;
  const hue = (byte(0) * 360) / 256;
  const top = hsl(hue, 0.55, 0.82);
  const bottom = hsl((hue + 40) % 360, 0.6, 0.45);
  const accent = hsl((hue + 180) % 360, 0.65, 0.55);
  const accent2 = hsl((hue + 90) % 360, 0.55, 0.6);
  const px = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const t = y / Math.max(1, height - 1);
    const r = Math.round(top[0] + (bottom[0] - top[0]) * t);
    const g = Math.round(top[1] + (bottom[1] - top[1]) * t);
    const b = Math.round(top[2] + (bottom[2] - top[2]) * t);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      px[o] = r;
      px[o + 1] = g;
      px[o + 2] = b;
    }
  }
  const fillRect = (x0: number, y0: number, w: number, h: number, c: Rgb) => {
    for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++)
      for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) px.set(c, (y * width + x) * 3);
  };
  const fillCircle = (cx: number, cy: number, radius: number, c: Rgb) => {
    const r2 = radius * radius;
    for (let y = Math.max(0, cy - radius); y < Math.min(height, cy + radius); y++) {
      const dy = y - cy;
      const span = Math.floor(Math.sqrt(Math.max(0, r2 - dy * dy)));
      for (let x = Math.max(0, cx - span); x < Math.min(width, cx + span); x++)
        px.set(c, (y * width + x) * 3);
    }
  };
  const unit = Math.min(width, height);
  if (style === "diagram") {
    const step = Math.max(16, Math.floor(unit / 12));
    for (let x = 0; x < width; x += step) fillRect(x, 0, 1, height, bottom);
    for (let y = 0; y < height; y += step) fillRect(0, y, width, 1, bottom);
    for (let i = 0; i < 4; i++) {
      const w = Math.floor(width / 6);
      const h = Math.floor(height / 5);
      fillRect(
        Math.floor((width * (i + 0.5)) / 4.5),
        Math.floor(height / 3 + ((byte(i + 1) % 5) * h) / 5),
        w,
        h,
        i % 2 ? accent : accent2,
      );
    }
  } else if (style === "photo") {
    for (let i = 0; i < 5; i++) {
      const y0 = Math.floor((height * (byte(i + 3) % 100)) / 100);
      fillRect(0, y0, width, Math.floor(height / 14), hsl((hue + i * 12) % 360, 0.35, 0.7 - i * 0.06));
    }
    fillCircle(
      Math.floor(width * 0.7),
      Math.floor(height * 0.35),
      Math.floor(unit / 7),
      hsl((hue + 20) % 360, 0.8, 0.85),
    );
  } else if (style === "illustration") {
    fillCircle(
      Math.floor(width * (0.2 + (byte(5) % 60) / 100)),
      Math.floor(height * 0.3),
      Math.floor(unit / 8),
      accent,
    );
    for (let i = 0; i < 3; i++) {
      const cx = Math.floor((width * (i * 2 + 1)) / 6);
      fillCircle(
        cx,
        height + Math.floor(unit / 6),
        Math.floor(unit / 2.2 - i * 10),
        hsl((hue + 120 + i * 15) % 360, 0.4, 0.35 + i * 0.08),
      );
    }
  } else {
    for (let i = 0; i < 7; i++) {
      const cx = Math.floor((width * byte(i * 3 + 1)) / 256);
      const cy = Math.floor((height * byte(i * 3 + 2)) / 256);
      const radius = Math.floor((unit * (20 + (byte(i * 3 + 3) % 40))) / 200);
      fillCircle(cx, cy, radius, i % 2 ? accent : accent2);
    }
  }
  return encodePng(width, height, px);
}
