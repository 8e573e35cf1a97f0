/**
 * The recognizer's HTML report as one string: inline CSS, charts drawn as plain HTML bars, the
 * thumbnails as data: URLs, no scripts and nothing fetched, so the page can be saved, mailed or
 * opened offline. Every value from a client (file names, labels) is escaped. Numbers carry
 * `data-*` attributes so tools (and the test) can read them back.
 */
import type { StoredFile } from '../../../store/files.js';
import type { StatsView } from './recognizer-views.js';

export interface ReportData {
  stats: StatsView;
  /** Images per top label, every label (the statistics list the top 10). */
  labels: Array<{ label: string; count: number }>;
  recent: Array<{ file: StoredFile; thumbnail?: Buffer }>;
  recognizer?: string;
  generatedAt: Date;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML elements and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
/** Labels shown in the bar chart; the rest are summed in one line. */
const MAX_BARS = 25;

function bars(rows: Array<{ name: string; count: number; attrs: string }>): string {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return rows.map((r) => `
      <div class="bar" ${r.attrs} data-count="${r.count}">
        <span class="name">${escapeHtml(r.name)}</span>
        <span class="track"><span class="fill" style="width:${((r.count / max) * 100).toFixed(2)}%"></span></span>
        <span class="count">${r.count}</span>
      </div>`).join('');
}

function labelChart(labels: ReportData['labels']): string {
  if (labels.length === 0) return '<p class="empty">No image is recognized yet.</p>';
  const shown = labels.slice(0, MAX_BARS);
  const rest = labels.slice(MAX_BARS).reduce((sum, l) => sum + l.count, 0);
  return bars(shown.map((l) => ({ name: l.label, count: l.count, attrs: `data-label="${escapeHtml(l.label)}"` })))
    + (rest ? `<p class="more">${labels.length - MAX_BARS} more labels: ${rest} images.</p>` : '');
}

function histogram(stats: StatsView): string {
  return bars(stats.confidence_histogram.map((b, i) => ({
    name: `${b.from.toFixed(1)}–${b.to.toFixed(1)}`, count: b.count, attrs: `data-bin="${i}"`,
  })));
}

function recentRows(recent: ReportData['recent']): string {
  if (recent.length === 0) return '<tr><td colspan="5" class="empty">No images stored yet.</td></tr>';
  return recent.map(({ file, thumbnail }) => {
    const r = file.recognition;
    const img = thumbnail ? `<img alt="" src="data:image/jpeg;base64,${thumbnail.toString('base64')}">` : '';
    const predictions = r
      ? `<ol>${r.predictions.slice(0, 3).map((p) => `<li>${escapeHtml(p.label)} <span class="conf">${pct(p.confidence)}</span></li>`).join('')}</ol>`
      : '<span class="pending">not recognized yet</span>';
    return `
      <tr data-image-id="${file.id}">
        <td class="thumb">${img}</td>
        <td>${file.id}</td>
        <td class="filename">${escapeHtml(file.filename)}</td>
        <td>${predictions}</td>
        <td>${r ? escapeHtml(r.model.alias) : ''}</td>
      </tr>`;
  }).join('');
}

/** The whole page. */
export function renderReport(data: ReportData): string {
  const { stats } = data;
  const mean = stats.mean_inference_ms === null ? '–' : stats.mean_inference_ms.toFixed(2);
  const models = stats.models.map((m) => `<li data-model="${escapeHtml(m.model)}" data-count="${m.count}">${escapeHtml(m.model)}: ${m.count}</li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Argus recognition report</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #1d232a; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  .sub { color: #5b6570; margin-top: 0; }
  .totals { display: grid; grid-template-columns: repeat(4, 1fr); gap: .8rem; }
  .totals div { background: #f3f5f7; border-radius: 8px; padding: .8rem 1rem; }
  .totals dt { color: #5b6570; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
  .totals dd { margin: 0; font-size: 1.6rem; font-weight: 600; }
  .bar { display: grid; grid-template-columns: 16rem 1fr 4rem; gap: .6rem; align-items: center; margin: .15rem 0; }
  .bar .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .track { background: #eef1f4; border-radius: 4px; height: .9rem; display: block; }
  .fill { background: #2f6fde; border-radius: 4px; height: 100%; display: block; }
  #histogram .fill { background: #1c9a6c; }
  .count { text-align: right; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #e3e7eb; padding: .4rem; text-align: left; vertical-align: top; }
  td.thumb img { max-width: 96px; max-height: 96px; border-radius: 4px; }
  td.filename { word-break: break-all; white-space: pre-wrap; max-width: 18rem; }
  ol { margin: 0; padding-left: 1.2rem; } .conf { color: #5b6570; font-variant-numeric: tabular-nums; }
  .empty, .pending, .more { color: #5b6570; }
</style>
</head>
<body>
<h1>Recognition report</h1>
<p class="sub">Generated ${escapeHtml(data.generatedAt.toISOString())}${data.recognizer ? ` · recognizer now: ${escapeHtml(data.recognizer)}` : ''}</p>
<dl class="totals">
  <div><dt>Images</dt><dd id="total-files">${stats.total_files}</dd></div>
  <div><dt>Recognized</dt><dd id="processed">${stats.processed_files}</dd></div>
  <div><dt>Not recognized</dt><dd id="unprocessed">${stats.unprocessed_files}</dd></div>
  <div><dt>Mean inference (ms)</dt><dd id="mean-inference-ms">${mean}</dd></div>
</dl>
<h2>Images per label (top prediction)</h2>
<section id="labels">${labelChart(data.labels)}</section>
<h2>Confidence of the top prediction</h2>
<section id="histogram">${histogram(stats)}</section>
<h2>Models</h2>
<ul id="models">${models || '<li class="empty">none yet</li>'}</ul>
<h2>Recent images</h2>
<table id="recent">
  <thead><tr><th></th><th>id</th><th>File</th><th>Predictions</th><th>Model</th></tr></thead>
  <tbody>${recentRows(data.recent)}
  </tbody>
</table>
</body>
</html>
`;
}
