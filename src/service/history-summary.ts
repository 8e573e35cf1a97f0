/**
 * What a history list shows of a result: its distinct labels (for the label filter) and one line
 * of summary. Read from the fields results share across tasks (`detections`, `predictions`,
 * `objects`, `faces`, `people`, `lines`, `choices`, `result`), not from task names, so a new task
 * whose result uses those fields is summarised without a change here.
 */

type Result = Record<string, unknown>;

const MAX_LABELS = 50;

const array = (value: unknown): Array<Record<string, unknown>> =>
  Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null) : [];

/** "4 person, 1 bus" from a list of labelled things, most frequent first. */
function countLabels(items: Array<Record<string, unknown>>): { labels: string[]; summary: string } {
  const counts = new Map<string, number>();
  for (const item of items) if (typeof item.label === 'string') counts.set(item.label, (counts.get(item.label) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { labels: sorted.slice(0, MAX_LABELS).map(([label]) => label), summary: sorted.map(([label, n]) => `${n} ${label}`).join(', ') };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const clip = (text: string, max = 120) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The labels and one-line summary of a task's result. */
export function summarise(result: unknown): { labels: string[]; summary: string } {
  if (typeof result !== 'object' || result === null) return { labels: [], summary: '' };
  const r = result as Result;
  if (Array.isArray(r.detections)) {
    const counted = countLabels(array(r.detections));
    return { labels: counted.labels, summary: counted.summary || 'nothing detected' };
  }
  if (Array.isArray(r.objects)) {
    const counted = countLabels(array(r.objects));
    const risk = typeof r.risk_level === 'string' ? `risk ${r.risk_level}` : '';
    return { labels: counted.labels, summary: [counted.summary || 'no objects', risk].filter(Boolean).join(' · ') };
  }
  if (Array.isArray(r.predictions)) {
    const predictions = array(r.predictions);
    const top = predictions[0];
    const labels = predictions.map((p) => p.label).filter((l): l is string => typeof l === 'string').slice(0, MAX_LABELS);
    const summary = top && typeof top.label === 'string' ? `${top.label} ${typeof top.confidence === 'number' ? top.confidence.toFixed(2) : ''}`.trim() : 'no predictions';
    return { labels, summary };
  }
  if (Array.isArray(r.faces)) {
    // Recognized faces (faces-recognize) carry a name, null for unknown: list who was seen.
    const faces = array(r.faces);
    if (faces.some((f) => 'name' in f)) {
      const counted = countLabels(faces.map((f) => ({ label: typeof f.name === 'string' ? f.name : 'unknown' })));
      return { labels: counted.labels, summary: counted.summary || 'no faces' };
    }
    return { labels: r.faces.length ? ['face'] : [], summary: plural(r.faces.length, 'face', 'faces') };
  }
  if (Array.isArray(r.people)) return { labels: r.people.length ? ['person'] : [], summary: plural(r.people.length, 'person', 'people') };
  if (Array.isArray(r.lines)) {
    const text = typeof r.text === 'string' ? `: ${clip(r.text.replace(/\s+/g, ' '), 80)}` : '';
    return { labels: [], summary: `${plural(r.lines.length, 'line', 'lines')}${text}` };
  }
  const choice = array(r.choices)[0]?.message as Record<string, unknown> | undefined;
  if (typeof choice?.content === 'string') return { labels: [], summary: clip(choice.content) };
  if (typeof r.result === 'string') return { labels: [], summary: clip(r.result) };
  if (typeof r.dim === 'number') return { labels: [], summary: `${r.dim}-d embedding` };
  if (Array.isArray(r.results)) return { labels: [], summary: plural(r.results.length, 'match', 'matches') };
  if (Array.isArray(r.images)) return { labels: [], summary: plural(r.images.length, 'image', 'images') };
  return { labels: [], summary: '' };
}
