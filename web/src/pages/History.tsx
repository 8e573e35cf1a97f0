import { useEffect, useState } from 'preact/hooks';
import { api, type HistoryItem, type HistoryPage, type JobView } from '../api';
import { Notice } from '../components/Notice';
import { useEvents } from '../events';
import { ago, ms } from '../format';
import { useImageUrl } from '../images';
import { isActive, refreshActiveJobs, trackJob, useTrackedJobs } from '../jobs';
import { followLink, navigate, useLocation } from '../router';

const FILTERS = ['task', 'model', 'label', 'status', 'date'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** GET /v1/history's query for the filters; `date` (a day, local time) becomes since/until. */
function historyQuery(filters: Filters, before?: string): string {
  const query = new URLSearchParams();
  for (const name of ['task', 'model', 'label', 'status'] as const) if (filters[name]) query.set(name, filters[name]!);
  if (filters.date) {
    const start = new Date(`${filters.date}T00:00:00`);
    query.set('since', start.toISOString());
    query.set('until', new Date(start.getTime() + 86_400_000).toISOString());
  }
  if (before) query.set('before', before);
  query.set('limit', '48');
  return query.toString();
}

/** Whether a live entry belongs in the list the filters show. */
function matches(item: HistoryItem, filters: Filters): boolean {
  if (filters.task && item.task !== filters.task) return false;
  if (filters.model && item.model !== filters.model) return false;
  if (filters.status && item.status !== filters.status) return false;
  if (filters.label && !item.labels.includes(filters.label)) return false;
  if (filters.date) {
    const start = new Date(`${filters.date}T00:00:00`).getTime();
    const at = Date.parse(item.created_at);
    if (at < start || at >= start + 86_400_000) return false;
  }
  return true;
}

function HistoryCard({ item }: { item: HistoryItem }) {
  const thumbnail = useImageUrl(item.thumbnail_url);
  return (
    <li>
      <a class="history-card" href={`/history/${encodeURIComponent(item.id)}`} onClick={followLink} data-history-id={item.id}>
        {thumbnail ? <img class="history-thumb" src={thumbnail} alt="" loading="lazy" /> : <span class="history-thumb">no image</span>}
        <span class="history-meta">
          <span class="history-summary">{item.summary || 'nothing found'}</span>
          <span class="muted">{item.task} · {item.model}</span>
          <span>
            <span class={`status status-${item.status}`}>{item.status}</span>
            {item.kind === 'job' && <span class="muted"> · job</span>}
            {item.total_ms !== undefined && <span class="muted"> · {ms(item.total_ms)}</span>}
          </span>
          <span class="muted"><time dateTime={item.created_at} title={new Date(item.created_at).toLocaleString()}>{ago(item.created_at)}</time></span>
        </span>
      </a>
    </li>
  );
}

/** Jobs in flight, updated live from the event stream; each opens into its result when it finishes. */
function LiveJobs({ jobs }: { jobs: JobView[] }) {
  if (!jobs.length) return null;
  return (
    <section class="panel" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Async jobs</h2>
      <ul class="jobs-live" aria-live="polite">
        {jobs.map((job) => (
          <li key={job.id} data-job-id={job.id} data-job-status={job.status}>
            <span class={`status status-${job.status}`}>{job.status}</span>
            <a href={`/history/${encodeURIComponent(job.id)}`} onClick={followLink}><code>{job.id.slice(0, 8)}</code></a>
            <span class="muted">{job.task}{job.model ? ` · ${job.model}` : ''} · submitted {ago(job.created_at)}</span>
            {job.status === 'failed' && job.error && <span class="muted">· {job.error.message}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Recent results with thumbnails, filters in the URL (so a filtered view can be shared), and live updates. */
export function History() {
  const { query } = useLocation();
  const filters: Filters = Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? undefined]).filter(([, v]) => v));
  const key = historyQuery(filters);
  const [page, setPage] = useState<HistoryPage>();
  const [error, setError] = useState<string>();
  const [loadingMore, setLoadingMore] = useState(false);
  const tracked = useTrackedJobs();

  useEffect(() => {
    setError(undefined);
    api<HistoryPage>(`/v1/history?${key}`).then(setPage, (e: unknown) => setError((e as Error).message));
  }, [key]);
  useEffect(() => void refreshActiveJobs(), []);

  const { connected } = useEvents(['jobs', 'history'], {
    job: (job: JobView) => trackJob(job),
    history: (item: HistoryItem) => {
      setPage((current) => {
        if (!current) return current;
        const facets = {
          tasks: [...new Set([...current.facets.tasks, item.task])].sort(),
          models: [...new Set([...current.facets.models, item.model])].sort(),
          labels: [...new Set([...current.facets.labels, ...item.labels])].sort(),
        };
        const items = matches(item, filters) ? [item, ...current.items.filter((i) => i.id !== item.id)] : current.items;
        return { ...current, items, facets };
      });
    },
  });

  const setFilter = (name: keyof Filters, value: string) => {
    const next = new URLSearchParams(location.search);
    if (value) next.set(name, value);
    else next.delete(name);
    const search = next.toString();
    navigate(`/history${search ? `?${search}` : ''}`, { replace: true });
  };

  const loadMore = async () => {
    if (!page?.next) return;
    setLoadingMore(true);
    try {
      const more = await api<HistoryPage>(`/v1/history?${historyQuery(filters, page.next)}`);
      setPage({ ...more, items: [...page.items, ...more.items] });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoadingMore(false);
    }
  };

  // Jobs still running, and finished ones whose history entry has not arrived yet.
  const shownIds = new Set(page?.items.map((i) => i.id));
  const jobs = tracked.filter((job) => isActive(job) || !shownIds.has(job.id));
  const facets = page?.facets ?? { tasks: [], models: [], labels: [] };
  const select = (name: 'task' | 'model' | 'label', label: string, options: string[]) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <select id={`filter-${name}`} value={filters[name] ?? ''} onChange={(e) => setFilter(name, e.currentTarget.value)}>
        <option value="">All</option>
        {[...new Set([...options, ...(filters[name] ? [filters[name]!] : [])])].map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    </div>
  );

  return (
    <div class="page">
      <h1 tabIndex={-1}>History</h1>
      {page && !page.recording && <Notice kind="warning">Results are not being recorded: ARGUS_HISTORY_SIZE is 0.</Notice>}
      <form class="panel filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        {select('task', 'Task', facets.tasks)}
        {select('model', 'Model', facets.models)}
        {select('label', 'Label', facets.labels)}
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" value={filters.status ?? ''} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">All</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
          </select>
        </div>
        <div class="field">
          <label for="filter-date">Day</label>
          <input id="filter-date" type="date" value={filters.date ?? ''} onChange={(e) => setFilter('date', e.currentTarget.value)} />
        </div>
        <div class="actions">
          <button type="button" class="secondary" disabled={Object.keys(filters).length === 0} onClick={() => navigate('/history', { replace: true })}>Clear filters</button>
        </div>
      </form>
      <LiveJobs jobs={jobs} />
      {error && <Notice kind="error">{error}</Notice>}
      <section aria-labelledby="results-heading">
        <h2 id="results-heading">
          Results <span class="muted" title={connected ? 'New results appear as they finish' : 'Reconnecting to the live feed'}><span class={`live-dot${connected ? ' on' : ''}`} aria-hidden="true" />{connected ? 'live' : 'offline'}</span>
        </h2>
        {!page && !error && <p class="muted">Loading…</p>}
        {page && page.items.length === 0 && (
          <p class="muted">{Object.keys(filters).length ? 'Nothing matches these filters.' : <>Nothing yet. <a href="/" onClick={followLink}>Run something in the playground</a>.</>}</p>
        )}
        {page && page.items.length > 0 && (
          <ul class="history-list">
            {page.items.map((item) => <HistoryCard key={item.id} item={item} />)}
          </ul>
        )}
        {page?.next && (
          <div class="actions">
            <button type="button" class="secondary" disabled={loadingMore} onClick={() => void loadMore()}>{loadingMore ? 'Loading…' : 'Older results'}</button>
          </div>
        )}
      </section>
    </div>
  );
}
