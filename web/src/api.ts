/**
 * The public API, as the dashboard uses it. Nothing here is private to the dashboard: every call
 * is one a script can make (see docs/api.md and /openapi.json).
 */

/** An error answered by Argus: `{"error": {"code", "message"}}` with its status. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const KEY_STORAGE = 'argus.apiKey';
const keyListeners = new Set<() => void>();

/**
 * The API key the dashboard sends, when the server has keys configured (the pages themselves are
 * public; the JSON they read is not). Kept in this browser's localStorage, sent as a Bearer token.
 */
export function apiKey(): string | undefined {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Stores (or, with undefined, forgets) the API key. */
export function setApiKey(key: string | undefined): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

/** Calls `listener` whenever the server refuses a request for want of a (valid) key: 401. */
export function onKeyNeeded(listener: () => void): () => void {
  keyListeners.add(listener);
  return () => void keyListeners.delete(listener);
}

/** `fetch` with the API key, if one is stored; a 401 tells {@link onKeyNeeded} listeners. */
export async function authedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const key = apiKey();
  const headers = new Headers(init.headers);
  if (key) headers.set('authorization', `Bearer ${key}`);
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) for (const listener of keyListeners) listener();
  return response;
}

/** Fetches a JSON endpoint; a non-2xx answer becomes an {@link ApiError} with Argus's message. */
export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await authedFetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'Argus could not be reached. Is the server running?');
  }
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  const body: unknown = isJson ? await response.json() : undefined;
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status} ${response.statusText}`);
  }
  return body as T;
}

export const post = <T>(path: string, body?: FormData | object): Promise<T> =>
  api<T>(path, body instanceof FormData
    ? { method: 'POST', body }
    : { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Timings {
  decode_ms?: number;
  preprocess_ms?: number;
  inference_ms?: number;
  postprocess_ms?: number;
  queue_ms?: number;
  scene_ms?: number;
  total_ms?: number;
  [stage: string]: number | undefined;
}

/** Any task's result: its own fields plus id, model and timings. */
export interface TaskResult {
  id?: string;
  model?: { alias: string; sha256?: string } | string;
  width?: number;
  height?: number;
  timings?: Timings;
  [field: string]: unknown;
}

export interface ModelEntry {
  id: string;
  task: string;
  runtime: string;
  licence: string;
  licence_kind: string;
  licence_warning?: string;
  description: string;
  available: boolean;
  loaded: boolean;
  state: string;
  memory_mb: number;
  memory_measured: boolean;
  device: string;
  workers: number;
  pinned: boolean;
  reason?: string;
}

export interface WorkerInfo {
  pid?: number;
  model: string;
  state: string;
  busy: boolean;
  rss_mb: number;
  requests: number;
  uptime_s: number;
  idle_s: number;
  provider?: string;
  node?: string;
}

export interface ModelStatus {
  alias: string;
  state: string;
  workers: number;
  queued: number;
  pinned: boolean;
  rss_mb: number;
  provider?: string;
  last_error?: string;
}

export interface JobCounts {
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
}

export interface SystemStatus {
  memory: { total_mb: number; free_mb: number; budget_mb: number; used_by_workers_mb: number; api_rss_mb: number };
  workers: WorkerInfo[];
  models: ModelStatus[];
  jobs: JobCounts;
  uptime_s: number;
}

export interface JobView {
  id: string;
  task: string;
  model: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  result?: TaskResult;
  error?: { code: string; message: string };
}

export interface HistoryItem {
  id: string;
  kind: 'sync' | 'job';
  task: string;
  model: string;
  status: 'succeeded' | 'failed';
  labels: string[];
  summary: string;
  error?: { code: string; message: string };
  text?: string;
  width?: number;
  height?: number;
  total_ms?: number;
  result_omitted: boolean;
  created_at: string;
  thumbnail_url?: string;
  preview_url?: string;
  job_url?: string;
}

export interface HistoryDetail extends HistoryItem {
  params?: Record<string, unknown>;
  result?: TaskResult;
}

export interface HistoryPage {
  items: HistoryItem[];
  next?: string;
  facets: { tasks: string[]; models: string[]; labels: string[] };
  recording: boolean;
}

export interface StatsPoint {
  t: number;
  requests: number;
  errors: number;
  rejected: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

export interface StatsSnapshot {
  window_s: number;
  series: StatsPoint[];
  routes: Array<Omit<StatsPoint, 't'> & { route: string; method: string }>;
}

export interface Camera {
  id: string;
  origin: 'file' | 'api';
  config: CameraConfig;
  computed: { homography?: { matrix: number[][] } };
}

export interface CameraConfig {
  zones?: Array<{ name: string; space?: 'image' | 'ground'; polygon: Array<[number, number]>; risk?: string }>;
  homography?: unknown;
  [key: string]: unknown;
}

let openApi: Promise<{ paths: Record<string, Record<string, unknown>> }> | undefined;

/** The OpenAPI document (fetched once): which routes exist, and each one's parameters. */
export function openApiDocument(): Promise<{ paths: Record<string, Record<string, unknown>> }> {
  openApi ??= api<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json').catch((error: unknown) => {
    openApi = undefined;
    throw error;
  });
  return openApi;
}
