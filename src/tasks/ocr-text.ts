/**
 * The text half of PaddleOCR's post-processing: CTC decoding of the recognition model's output
 * and the reading order of the recognised lines. Pure functions, so they are tested on their own.
 */

/**
 * A PaddleOCR character dictionary (one character per line) as the recognition model indexes it:
 * class 0 is the CTC blank, class i is line i − 1, and the last class is a space (`use_space_char`).
 */
export function parseDictionary(text: string): string[] {
  const chars = text.split(/\r?\n/);
  if (chars.at(-1) === '') chars.pop();
  return [...chars, ' '];
}

export interface DecodedText {
  text: string;
  /** Mean probability of the characters kept (PaddleOCR's line score); 0 for an empty line. */
  confidence: number;
}

/**
 * Greedy CTC decoding of one line's `[1, T, C]` softmax output: the best class per step, repeats
 * collapsed, blanks dropped, as PaddleOCR's CTCLabelDecode does.
 */
export function ctcDecode(probs: Float32Array, steps: number, classes: number, dictionary: readonly string[]): DecodedText {
  if (classes !== dictionary.length + 1) {
    throw new Error(`the recognition model has ${classes} classes but the dictionary ${dictionary.length} characters (+ blank)`);
  }
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const row = t * classes;
    let best = 0;
    let bestP = probs[row];
    for (let c = 1; c < classes; c++) {
      if (probs[row + c] > bestP) {
        bestP = probs[row + c];
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += dictionary[best - 1];
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept ? sum / kept : 0 };
}

/** What reading order needs of a line: its bounding box. */
export interface Placed {
  box: { x1: number; y1: number; x2: number; y2: number };
}

/**
 * Lines in reading order, grouped into rows: a line joins a row when its vertical centre lies
 * within half the median line height of the row's first line. Rows go top to bottom, lines in a
 * row left to right (PaddleOCR sorts the same way with a fixed 10 px tolerance; a tolerance
 * relative to the text size also holds for large and small print).
 */
export function readingOrder<T extends Placed>(lines: readonly T[]): T[][] {
  if (lines.length === 0) return [];
  const heights = lines.map((l) => l.box.y2 - l.box.y1).sort((a, b) => a - b);
  const tolerance = heights[Math.floor(heights.length / 2)] / 2;
  const centre = (l: T) => (l.box.y1 + l.box.y2) / 2;
  const rows: T[][] = [];
  for (const line of [...lines].sort((a, b) => centre(a) - centre(b))) {
    const row = rows.find((r) => Math.abs(centre(r[0]) - centre(line)) <= tolerance);
    if (row) row.push(line);
    else rows.push([line]);
  }
  for (const row of rows) row.sort((a, b) => a.box.x1 - b.box.x1);
  return rows.sort((a, b) => centre(a[0]) - centre(b[0]));
}
