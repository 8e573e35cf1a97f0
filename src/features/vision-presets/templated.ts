/**
 * Sentences composed from structured results (detections, a classification, OCR text), for the
 * analyze presets when no vision-language model is installed and for `objects`. Pure functions:
 * what they say depends only on what the models found.
 */

export interface Found {
  label: string;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

const IRREGULAR: Record<string, string> = { person: 'people', mouse: 'mice', knife: 'knives', sheep: 'sheep', skis: 'skis', scissors: 'scissors' };

/** English plural of a COCO-style label ("bus" → "buses", "person" → "people"). */
export function plural(label: string): string {
  const words = label.split(' ');
  const last = words.pop()!;
  const irregular = IRREGULAR[last];
  const pluralLast = irregular ?? (/(s|x|z|ch|sh)$/.test(last) ? `${last}es` : /[^aeiou]y$/.test(last) ? `${last.slice(0, -1)}ies` : `${last}s`);
  return [...words, pluralLast].join(' ');
}

const article = (label: string) => (/^[aeiou]/i.test(label) ? `an ${label}` : `a ${label}`);

/** "3 people, 2 cars and a bus", most frequent first (ties by first seen). */
export function countPhrase(found: readonly Found[]): string {
  const counts = new Map<string, number>();
  for (const f of found) counts.set(f.label, (counts.get(f.label) ?? 0) + 1);
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([label, n]) => (n === 1 ? article(label) : `${n} ${plural(label)}`));
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** The sentence `objects` answers with. */
export function objectsSentence(found: readonly Found[]): string {
  return found.length === 0 ? 'No objects were detected.' : `Detected ${countPhrase(found)}.`;
}

function where(box: Found['box'], width: number, height: number): string {
  const cx = (box.x1 + box.x2) / 2 / width;
  const cy = (box.y1 + box.y2) / 2 / height;
  const horizontal = cx < 1 / 3 ? 'left' : cx > 2 / 3 ? 'right' : 'centre';
  const vertical = cy < 1 / 3 ? 'top' : cy > 2 / 3 ? 'bottom' : 'middle';
  if (vertical === 'middle') return horizontal === 'centre' ? 'in the centre' : `on the ${horizontal}`;
  return horizontal === 'centre' ? `at the ${vertical}` : `at the ${vertical} ${horizontal}`;
}

export interface TemplatedInputs {
  width: number;
  height: number;
  detections: readonly Found[];
  /** The classifier's top label, when a classifier is installed. */
  classification?: { label: string; confidence: number };
  /** Text OCR read, when an OCR model is installed. */
  text?: string;
}

/** A one-sentence caption (plus what the classifier and OCR add), said plainly as composed. */
export function templatedCaption(inputs: TemplatedInputs): string {
  const sentences = [inputs.detections.length ? `An image with ${countPhrase(inputs.detections)}.` : 'An image in which the detector found no objects.'];
  if (inputs.classification) sentences.push(`It looks most like ${article(inputs.classification.label)} (${Math.round(inputs.classification.confidence * 100)}%).`);
  const text = inputs.text?.replace(/\s+/g, ' ').trim();
  if (text) sentences.push(`Visible text: "${text.length > 120 ? `${text.slice(0, 117)}…` : text}".`);
  return sentences.join(' ');
}

/** A longer description: the caption, then the most confident objects with where they are and how much of the frame they cover. */
export function templatedDescription(inputs: TemplatedInputs): string {
  const area = inputs.width * inputs.height;
  const details = [...inputs.detections]
    .sort((a, b) => b.confidence - a.confidence)
    .slice(0, 8)
    .map((d) => {
      const share = Math.round((((d.box.x2 - d.box.x1) * (d.box.y2 - d.box.y1)) / area) * 100);
      return `${article(d.label)} ${where(d.box, inputs.width, inputs.height)} (${share}% of the frame, ${Math.round(d.confidence * 100)}% confidence)`;
    });
  const listed = details.length ? ` In detail: ${details.join('; ')}.` : '';
  return `${templatedCaption(inputs)}${listed}`;
}
