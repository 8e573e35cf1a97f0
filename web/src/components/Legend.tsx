import type { LegendEntry } from '../draw/shapes';

/** Colour chips with counts: what the drawing's colours mean. */
export function Legend({ entries }: { entries: LegendEntry[] }) {
  if (!entries.length) return null;
  return (
    <ul class="legend" aria-label="Found">
      {entries.map((entry) => (
        <li key={entry.label} data-legend={entry.label}>
          <span class="swatch" style={{ background: entry.colour }} aria-hidden="true" />
          <span class="legend-label">{entry.label}</span>
          <span class="legend-count">× {entry.count}</span>
        </li>
      ))}
    </ul>
  );
}
