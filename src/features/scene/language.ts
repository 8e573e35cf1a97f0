import { round1 } from '../../numbers.js';

/** Plurals English does not form with -s/-es/-ies (COCO labels and common scene nouns). */
const IRREGULAR: Record<string, string> = {
  person: 'people',
  man: 'men',
  woman: 'women',
  child: 'children',
  mouse: 'mice',
  knife: 'knives',
  sheep: 'sheep',
  skis: 'skis',
  scissors: 'scissors',
  'sports ball': 'sports balls',
  fish: 'fish',
  deer: 'deer',
};

/** The plural of a noun phrase (its last word is inflected): bus → buses, traffic light → traffic lights. */
export function plural(noun: string): string {
  if (IRREGULAR[noun]) return IRREGULAR[noun];
  const words = noun.split(' ');
  const last = words.pop()!;
  let inflected: string;
  if (IRREGULAR[last]) inflected = IRREGULAR[last];
  else if (/(s|sh|ch|x|z)$/.test(last)) inflected = `${last}es`;
  else if (/[^aeiou]y$/.test(last)) inflected = `${last.slice(0, -1)}ies`;
  else if (/(?:[^f]fe|[lr]f)$/.test(last)) inflected = last.replace(/fe?$/, 'ves');
  else inflected = `${last}s`;
  return [...words, inflected].join(' ');
}

/** "a" or "an" by the sound of the word's start (vowel letters, except a "you" sound). */
export function article(noun: string): 'a' | 'an' {
  if (/^(uni|use|usu|eu|one|once)/i.test(noun)) return 'a';
  if (/^(hour|honest|honou?r)/i.test(noun)) return 'an';
  return /^[aeiou]/i.test(noun) ? 'an' : 'a';
}

/** "a person", "an umbrella", "2 people". */
export function counted(noun: string, n: number): string {
  return n === 1 ? `${article(noun)} ${noun}` : `${n} ${plural(noun)}`;
}

/** "a", "a and b", "a, b and c". */
export function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Counts of labels in first-seen order, as a phrase: "2 people and a bus". */
export function inventory(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return joinAnd([...counts].map(([label, n]) => counted(label, n)));
}

/** A number of metres or m/s with one decimal: 3.1. */
export function oneDecimal(value: number): string {
  return round1(value).toFixed(1);
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
