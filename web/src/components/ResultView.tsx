import { useState } from 'preact/hooks';
import type { Camera, TaskResult } from '../api';
import { RISK_COLOURS } from '../draw/colours';
import { legendOf, shapesOf } from '../draw/shapes';
import { modelAlias } from '../format';
import { AnnotatedImage } from './AnnotatedImage';
import { JsonView } from './JsonView';
import { Legend } from './Legend';
import { Timings } from './Timings';

interface Props {
  result: TaskResult;
  /** The image the result is drawn over (the picked file, or a history preview). */
  imageSrc?: string;
  /** The result's pixel space when the result does not say (history entries know it). */
  width?: number;
  height?: number;
  camera?: Camera;
}

type Thing = Record<string, unknown>;
const list = (value: unknown): Thing[] => (Array.isArray(value) ? (value as Thing[]) : []);

/** Whatever a result says in words: predictions, text read, an answer, a scene's risk and events. */
function ResultText({ result }: { result: TaskResult }) {
  const predictions = list(result.predictions);
  const answer = (list(result.choices)[0]?.message as Thing | undefined)?.content;
  const events = list(result.events);
  return (
    <>
      {predictions.length > 0 && (
        <ol class="predictions" aria-label="Predictions">
          {predictions.map((p, i) => (
            <li key={i}>
              <span class="prediction-label">{String(p.label)}</span>
              <span class="meter" aria-hidden="true"><span style={{ width: `${Math.round(Number(p.confidence) * 100)}%` }} /></span>
              <span class="prediction-value">{Number(p.confidence).toFixed(3)}</span>
            </li>
          ))}
        </ol>
      )}
      {typeof result.risk_level === 'string' && (
        <p class="scene-summary">
          <span class="badge" style={{ background: RISK_COLOURS[result.risk_level] ?? RISK_COLOURS.none }}>risk {result.risk_level}</span>
          {typeof result.priority === 'string' && <span class="badge badge-outline">{result.priority}</span>}
          {typeof result.description === 'string' && <span>{result.description}</span>}
        </p>
      )}
      {events.length > 0 && (
        <ul class="events" aria-label="Rule events">
          {events.map((e, i) => <li key={i}><strong>{String(e.rule)}</strong> ({String(e.risk_level)}): {String(e.message)}</li>)}
        </ul>
      )}
      {typeof result.text === 'string' && result.text && <pre class="read-text" aria-label="Text read">{result.text}</pre>}
      {typeof answer === 'string' && <p class="answer">{answer}</p>}
      {typeof result.result === 'string' && <p class="answer">{result.result}</p>}
    </>
  );
}

/** A result drawn over its image, with a legend, its words, timings and the raw JSON. */
export function ResultView({ result, imageSrc, width, height, camera }: Props) {
  // OCR labels are whole lines of text over the very text they read: start with them hidden (the text is listed beside).
  const [showLabels, setShowLabels] = useState(!Array.isArray(result.lines));
  const shapes = shapesOf(result, camera);
  const legend = legendOf(result);
  const boxes = shapes.filter((s) => s.kind === 'box').length;
  const description = legend.length ? `${boxes} boxes: ${legend.map((l) => `${l.count} ${l.label}`).join(', ')}` : 'Nothing drawn';
  return (
    <div class="result">
      {imageSrc && (
        <div class="result-image">
          <AnnotatedImage src={imageSrc} width={result.width ?? width} height={result.height ?? height} shapes={shapes} alt="The input image" description={description} showLabels={showLabels} />
          {shapes.length > 0 && (
            <label class="toggle">
              <input type="checkbox" checked={showLabels} onChange={(e) => setShowLabels(e.currentTarget.checked)} /> Show labels
            </label>
          )}
        </div>
      )}
      <div class="result-side">
        <p class="muted result-model">
          {modelAlias(result.model) && <>model <strong>{modelAlias(result.model)}</strong></>}
          {result.id && <> · id <code>{result.id}</code></>}
        </p>
        <Legend entries={legend} />
        {legend.length === 0 && shapes.length === 0 && Array.isArray(result.detections) && <p>Nothing detected at these thresholds.</p>}
        {Array.isArray(result.lines) && result.lines.length === 0 && <p>No text found at these settings.</p>}
        {Array.isArray(result.faces) && result.faces.length === 0 && <p>No face found at these settings.</p>}
        {Array.isArray(result.people) && result.people.length === 0 && <p>No person found at these settings.</p>}
        <ResultText result={result} />
        <Timings timings={result.timings} />
        <JsonView value={result} />
      </div>
    </div>
  );
}
