import sharp from 'sharp';
import type { Box } from './letterbox.js';

export interface DrawableBox {
  label: string;
  confidence: number;
  box: Box;
  classId?: number;
}

/** A fixed, high-contrast palette (Ultralytics' colours), one per class id. */
const PALETTE = [
  '#FF3838', '#FF9D97', '#FF701F', '#FFB21D', '#CFD231', '#48F90A', '#92CC17', '#3DDB86', '#1A9334', '#00D4BB',
  '#2C99A8', '#00C2FF', '#344593', '#6473FF', '#0018EC', '#8438FF', '#520085', '#CB38FF', '#FF95C8', '#FF37C7',
];

export function colourFor(key: number | string): string {
  const n = typeof key === 'number' ? key : [...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  return PALETTE[Math.abs(n) % PALETTE.length];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Draws labelled boxes over an image with one SVG overlay; returns JPEG (or PNG) bytes. */
export async function drawBoxes(image: Uint8Array, items: DrawableBox[], format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const meta = await sharp(image).metadata();
  const [width, height] = (meta.orientation ?? 1) >= 5 ? [meta.height!, meta.width!] : [meta.width!, meta.height!];
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const shapes = items.map((d) => {
    const colour = colourFor(d.classId ?? d.label);
    const { x1, y1, x2, y2 } = d.box;
    const text = `${escapeXml(d.label)} ${d.confidence.toFixed(2)}`;
    const tagWidth = Math.round(text.length * font * 0.6 + 8);
    const tagY = y1 - font - 6 >= 0 ? y1 - font - 6 : y1;
    return `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`
      + `<rect x="${x1}" y="${tagY}" width="${tagWidth}" height="${font + 6}" fill="${colour}"/>`
      + `<text x="${x1 + 4}" y="${tagY + font}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#fff">${text}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
  const out = sharp(image).autoOrient().composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  return format === 'png' ? out.png().toBuffer() : out.jpeg({ quality: 90 }).toBuffer();
}
