import { capitalise, inventory } from './language.js';
import type { SceneEvent } from './rules.js';

/** Event phrases a description lists before it sums up the rest. */
const MAX_PHRASES = 4;

function eventsPhrase(events: readonly SceneEvent[]): string {
  const phrases = [...new Set(events.map((e) => e.message))];
  const shown = phrases.slice(0, MAX_PHRASES);
  const rest = phrases.length - shown.length;
  return shown.join('; ') + (rest > 0 ? `; and ${rest} more event${rest === 1 ? '' : 's'}` : '');
}

/**
 * One short English sentence for a frame: its events ("2 people in zone restricted; a truck 3.1 m
 * from a person."), or what is in view when no rule triggered.
 */
export function describeFrame(labels: readonly string[], events: readonly SceneEvent[]): string {
  if (events.length) return `${capitalise(eventsPhrase(events))}.`;
  if (labels.length) return `${capitalise(inventory(labels))} in view; no rule triggered.`;
  return 'Nothing of interest in view.';
}

/** One short sentence for a video or stream: what was tracked, for how long, and its events. */
export function describeVideo(trackLabels: readonly string[], durationS: number, events: readonly SceneEvent[]): string {
  const seen = trackLabels.length ? `${capitalise(inventory(trackLabels))} tracked over ${durationS.toFixed(1)} s` : `Nothing tracked over ${durationS.toFixed(1)} s`;
  return events.length ? `${seen}: ${eventsPhrase(events)}.` : `${seen}; no rule triggered.`;
}
