import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type HistoryDetail as Entry, type HistoryItem, type JobView, type TaskResult } from '../api';
import { JsonView } from '../components/JsonView';
import { Notice } from '../components/Notice';
import { ResultView } from '../components/ResultView';
import { useEvents } from '../events';
import { ms } from '../format';
import { useImageUrl } from '../images';
import { isActive, trackJob, useTrackedJobs } from '../jobs';
import { followLink, navigate } from '../router';

/**
 * One result: drawn over the preview Argus kept of its image, with its parameters. An id that is
 * not (yet) in the history but is an async job shows the job's live status, and opens into the
 * drawn result when the job finishes and its entry is recorded.
 */
export function HistoryDetail({ id }: { id: string }) {
  const [entry, setEntry] = useState<Entry>();
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string>();
  const [jobId, setJobId] = useState<string>();
  const job = useTrackedJobs().find((j) => j.id === jobId);
  const preview = useImageUrl(entry?.preview_url);

  const load = () =>
    api<Entry>(`/v1/history/${encodeURIComponent(id)}`).then(
      (found) => (setEntry(found), setMissing(false)),
      async (e: unknown) => {
        if (!(e instanceof ApiError && e.status === 404)) return setError((e as Error).message);
        // Not recorded (yet): perhaps a job still queued or running.
        try {
          const pending = await api<JobView>(`/v1/jobs/${encodeURIComponent(id)}`);
          trackJob(pending);
          setJobId(pending.id);
        } catch {
          setMissing(true);
        }
      },
    );

  useEffect(() => {
    setEntry(undefined);
    setMissing(false);
    setError(undefined);
    setJobId(undefined);
    void load();
  }, [id]);

  useEvents(['jobs', 'history'], {
    job: (update: JobView) => trackJob(update),
    history: (item: HistoryItem) => {
      if (item.id === id && !entry) void load();
    },
  });

  const remove = async () => {
    if (!confirm('Forget this result and its images?')) return;
    try {
      await api(`/v1/history/${encodeURIComponent(id)}`, { method: 'DELETE' });
      navigate('/history');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const back = <a href="/history" onClick={followLink}>← History</a>;
  if (error) return <div class="page">{back}<Notice kind="error">{error}</Notice></div>;
  if (missing) return <div class="page">{back}<h1 tabIndex={-1}>Not found</h1><Notice kind="warning">No result or job with id <code>{id}</code>. The history keeps only the most recent results.</Notice></div>;
  if (!entry) {
    return (
      <div class="page">
        {back}
        <h1 tabIndex={-1}>{job ? `Job ${job.id.slice(0, 8)}` : 'Loading…'}</h1>
        {job && (
          <div class="panel" aria-live="polite">
            <p class="job-line" data-job-status={job.status}>
              <span class={`status status-${job.status}`}>{job.status}</span>
              <span>{job.task}{job.model ? ` · ${job.model}` : ''}</span>
              {isActive(job) && <span class="muted">· updates live; the result opens here when it is done</span>}
            </p>
            {job.status === 'failed' && job.error && <Notice kind="error">{job.error.message} ({job.error.code})</Notice>}
          </div>
        )}
      </div>
    );
  }

  const result = entry.result as TaskResult | undefined;
  return (
    <div class="page">
      {back}
      <div class="detail-head">
        <div>
          <h1 tabIndex={-1}>{entry.summary || entry.task}</h1>
          <p class="muted">
            {entry.task} · {entry.model} · <span class={`status status-${entry.status}`}>{entry.status}</span> · {new Date(entry.created_at).toLocaleString()}
          </p>
        </div>
        <div class="actions">
          {entry.job_url && <a class="button secondary" href={entry.job_url}>Job JSON</a>}
          <button type="button" class="danger" onClick={() => void remove()}>Delete</button>
        </div>
      </div>
      {entry.error && <Notice kind="error">{entry.error.message} ({entry.error.code})</Notice>}
      {entry.result_omitted && <Notice kind="info">The result was too large to keep (over 1 MiB of JSON); only its summary is shown.</Notice>}
      <div class="panel">
        {result ? (
          <ResultView result={result} imageSrc={preview} width={entry.width} height={entry.height} />
        ) : (
          preview && <img src={preview} alt="The input image" />
        )}
      </div>
      <div class="panel">
        <h2>Request</h2>
        <dl class="facts">
          <dt>id</dt><dd><code>{entry.id}</code></dd>
          <dt>kind</dt><dd>{entry.kind === 'job' ? 'async job' : 'synchronous request'}</dd>
          {entry.width && entry.height && <><dt>image</dt><dd>{entry.width} × {entry.height} px</dd></>}
          {entry.total_ms !== undefined && <><dt>total</dt><dd>{ms(entry.total_ms)}</dd></>}
          {entry.text && <><dt>text</dt><dd>{entry.text}</dd></>}
        </dl>
        {entry.params !== undefined && <JsonView value={entry.params} title="Parameters" />}
      </div>
    </div>
  );
}
