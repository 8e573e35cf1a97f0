import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, post, type ModelEntry, type StatsPoint, type StatsSnapshot, type SystemStatus } from '../api';
import { LineChart } from '../components/LineChart';
import { Notice } from '../components/Notice';
import { useEvents } from '../events';
import { duration, mb, ms } from '../format';

/** Seconds of history the charts show (GET /v1/system/stats keeps up to 300). */
const SPAN_S = 120;

/** One value per second for the last SPAN_S seconds, null where no point arrived (the server was idle or restarting). */
function perSecond(points: StatsPoint[], pick: (p: StatsPoint) => number | null, now: number): Array<number | null> {
  const byT = new Map(points.map((p) => [Math.floor(p.t / 1000), p]));
  const end = Math.floor(now / 1000);
  return Array.from({ length: SPAN_S }, (_, i) => {
    const point = byT.get(end - SPAN_S + 1 + i);
    return point ? pick(point) : null;
  });
}

/** A signature of what /v1/models would answer differently: reloaded only when it changes. */
const modelsKey = (status: SystemStatus) => status.models.map((m) => `${m.alias}:${m.state}:${m.workers}`).sort().join(',');

function MemoryCard({ status }: { status: SystemStatus }) {
  const { memory } = status;
  const share = memory.budget_mb > 0 ? memory.used_by_workers_mb / memory.budget_mb : 0;
  return (
    <section class="panel card" aria-labelledby="memory-heading">
      <h2 id="memory-heading">Model memory</h2>
      <div class="big">{mb(memory.used_by_workers_mb)} <span class="muted">of {mb(memory.budget_mb)}</span></div>
      <div class="bar" role="meter" aria-label="Worker memory against the budget" aria-valuemin={0} aria-valuemax={memory.budget_mb} aria-valuenow={Math.round(memory.used_by_workers_mb)}>
        <span class={share > 1 ? 'over' : ''} style={{ width: `${Math.min(100, share * 100)}%` }} />
      </div>
      <div class="muted">API process {mb(memory.api_rss_mb)} · machine {mb(memory.free_mb)} free of {mb(memory.total_mb)}</div>
    </section>
  );
}

function ModelsTable({ models, status, onChanged }: { models: ModelEntry[]; status?: SystemStatus; onChanged(): void }) {
  const [pending, setPending] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const queued = new Map(status?.models.map((m) => [m.alias, m.queued]));

  const act = async (alias: string, action: 'load' | 'evict', force = false) => {
    setPending(alias);
    setProblem(undefined);
    try {
      if (action === 'load') await post(`/v1/models/${encodeURIComponent(alias)}/load`);
      else await post(`/v1/system/evict/${encodeURIComponent(alias)}${force ? '?force=true' : ''}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && action === 'evict' && confirm(`${e.message}\n\nStop it anyway? Its running requests will fail.`)) {
        return void act(alias, 'evict', true);
      }
      setProblem(`${alias}: ${(e as Error).message}`);
    } finally {
      setPending(undefined);
      onChanged();
    }
  };

  return (
    <section class="panel" aria-labelledby="models-heading">
      <h2 id="models-heading">Models</h2>
      {problem && <Notice kind="error">{problem}</Notice>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" class="hide-narrow">Task</th>
              <th scope="col">State</th>
              <th scope="col" class="num">Memory</th>
              <th scope="col" class="hide-narrow">Device</th>
              <th scope="col" class="num hide-narrow">Workers</th>
              <th scope="col" class="num hide-narrow">Queued</th>
              <th scope="col" class="hide-narrow">Licence</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {models.map((model) => {
              const loaded = model.loaded || model.workers > 0;
              return (
                <tr key={model.id} data-model={model.id} data-state={model.state}>
                  <th scope="row">
                    {model.id}
                    {model.pinned && <span class="muted"> · pinned</span>}
                    <span class="desc show-narrow">{model.task}</span>
                    <span class="desc hide-narrow">{model.description}</span>
                  </th>
                  <td class="hide-narrow">{model.task}</td>
                  <td>
                    {model.reason ? (
                      <details class="why">
                        <summary><span class={`status status-${model.available ? model.state : 'unavailable'}`}>{model.available ? model.state : 'not installed'}</span></summary>
                        <span class="desc">{model.reason}</span>
                      </details>
                    ) : (
                      <span class={`status status-${model.state}`}>{model.state}</span>
                    )}
                  </td>
                  <td class="num" title={model.memory_measured ? 'measured' : "the manifest's estimate"}>
                    {model.memory_measured ? '' : <abbr title="estimate (not loaded)">~</abbr>}{mb(model.memory_mb)}
                  </td>
                  <td class="hide-narrow">{model.device}</td>
                  <td class="num hide-narrow">{model.workers}</td>
                  <td class="num hide-narrow">{queued.get(model.id) ?? 0}</td>
                  <td class="hide-narrow">
                    {model.licence_warning ? (
                      <details class="why">
                        <summary>{model.licence} <span class="licence-flag">{model.licence_kind}</span></summary>
                        <span class="licence-warning">{model.licence_warning}</span>
                      </details>
                    ) : (
                      model.licence
                    )}
                  </td>
                  <td>
                    {loaded ? (
                      <button type="button" class="small danger" disabled={pending === model.id} onClick={() => void act(model.id, 'evict')} aria-label={`Evict ${model.id}`}>Evict</button>
                    ) : (
                      <button type="button" class="small secondary" disabled={!model.available || pending === model.id} onClick={() => void act(model.id, 'load')} aria-label={`Load ${model.id}`}>
                        {pending === model.id ? 'Loading…' : 'Load'}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function WorkersTable({ status }: { status: SystemStatus }) {
  return (
    <section class="panel" aria-labelledby="workers-heading">
      <h2 id="workers-heading">Workers</h2>
      {status.workers.length === 0 ? (
        <p class="muted">No worker is running: models load on first use, or with Load above.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col" class="num">pid</th>
                <th scope="col">Model</th>
                <th scope="col">State</th>
                <th scope="col" class="num">RSS</th>
                <th scope="col" class="num">Requests</th>
                <th scope="col" class="num hide-narrow">Up</th>
                <th scope="col" class="hide-narrow">Device</th>
              </tr>
            </thead>
            <tbody>
              {status.workers.map((worker, i) => (
                <tr key={worker.pid ?? `${worker.node}-${i}`} data-worker-model={worker.model}>
                  <td class="num">{worker.pid ?? '–'}</td>
                  <td>{worker.model}{worker.node && <span class="desc">{worker.node}</span>}</td>
                  <td><span class={`status status-${worker.busy ? 'busy' : worker.state}`}>{worker.busy ? 'busy' : worker.state}</span></td>
                  <td class="num">{mb(worker.rss_mb)}</td>
                  <td class="num">{worker.requests}</td>
                  <td class="num hide-narrow">{duration(worker.uptime_s)}</td>
                  <td class="hide-narrow">{worker.provider ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Models, workers, memory and queue, refreshed live (GET /v1/events `status` and `stats`), with load and evict. */
export function System() {
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [status, setStatus] = useState<SystemStatus>();
  const [points, setPoints] = useState<StatsPoint[]>([]);
  const [error, setError] = useState<string>();
  const [now, setNow] = useState(Date.now());

  const reloadModels = () => api<{ data: ModelEntry[] }>('/v1/models').then((list) => setModels(list.data), (e: unknown) => setError((e as Error).message));

  useEffect(() => {
    void reloadModels();
    api<SystemStatus>('/v1/system/status').then(setStatus, (e: unknown) => setError((e as Error).message));
    api<StatsSnapshot & { now: number }>(`/v1/system/stats?window_s=${SPAN_S}`).then((s) => (setPoints(s.series), setNow(s.now)), () => undefined);
  }, []);

  const { connected } = useEvents(['status', 'stats'], {
    status: (next: SystemStatus) => {
      setStatus((previous) => {
        if (!previous || modelsKey(previous) !== modelsKey(next)) void reloadModels();
        return next;
      });
    },
    stats: (point: StatsPoint) => {
      setPoints((previous) => [...previous.filter((p) => p.t > point.t - SPAN_S * 1000), point]);
      setNow(point.t);
    },
  });

  const refresh = () => {
    void reloadModels();
    api<SystemStatus>('/v1/system/status').then(setStatus, () => undefined);
  };

  const total = points.reduce((sum, p) => sum + p.requests, 0);
  return (
    <div class="page">
      <h1 tabIndex={-1}>System</h1>
      {error && <Notice kind="error">{error}</Notice>}
      {status && (
        <div class="cards">
          <MemoryCard status={status} />
          <section class="panel card" aria-labelledby="queue-heading">
            <h2 id="queue-heading">Jobs</h2>
            <div class="big">{status.jobs.queued} <span class="muted">queued</span></div>
            <div class="muted">{status.jobs.running} running · {status.jobs.succeeded} succeeded · {status.jobs.failed} failed</div>
            <div class="muted">Waiting in model queues: {status.models.reduce((sum, m) => sum + m.queued, 0)}</div>
          </section>
          <section class="panel card" aria-labelledby="uptime-heading">
            <h2 id="uptime-heading">Server</h2>
            <div class="big">{status.workers.length} <span class="muted">workers</span></div>
            <div class="muted">up {duration(status.uptime_s)} · {total} requests in the last {SPAN_S / 60} min</div>
            <div class="muted"><span class={`live-dot${connected ? ' on' : ''}`} aria-hidden="true" />{connected ? 'live' : 'reconnecting…'}</div>
          </section>
        </div>
      )}
      <div class="charts">
        <LineChart title="Throughput (requests/s)" span={SPAN_S} format={(v) => (v >= 10 ? v.toFixed(0) : v.toFixed(v % 1 ? 1 : 0))}
          series={[
            { name: 'requests', colour: '#2457d6', values: perSecond(points, (p) => p.requests, now) },
            { name: 'errors', colour: '#c62828', values: perSecond(points, (p) => p.errors + p.rejected, now) },
          ]} />
        <LineChart title="Latency" span={SPAN_S} format={(v) => ms(v)}
          series={[
            { name: 'p50', colour: '#1a9334', values: perSecond(points, (p) => p.p50_ms, now) },
            { name: 'p95', colour: '#ff701f', values: perSecond(points, (p) => p.p95_ms, now) },
          ]} />
      </div>
      <ModelsTable models={models} status={status} onChanged={refresh} />
      {status && <WorkersTable status={status} />}
    </div>
  );
}
