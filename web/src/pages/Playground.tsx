import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, openApiDocument, post, type Camera, type HistoryItem, type JobView, type ModelEntry, type TaskResult } from '../api';
import { ImagePicker, type ImageChoice } from '../components/ImagePicker';
import { Notice } from '../components/Notice';
import { ParamsForm, type ParamValues } from '../components/ParamsForm';
import { ResultView } from '../components/ResultView';
import { SceneInputs, type SceneChoice } from '../components/SceneInputs';
import { useEvents } from '../events';
import { useImageUrl } from '../images';
import { trackJob, useTrackedJobs } from '../jobs';
import { availableTasks, paramFields, paramValue, type TaskSpec } from '../tasks';

interface Shown {
  result: TaskResult;
  /** The image to draw over: the picked file, or (URL inputs) the history's preview once recorded. */
  imageSrc?: string;
  camera?: Camera;
}

const fileToDataUrl = (file: File) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

/** The request a task's route takes: multipart for a file, JSON for a URL (or chat's messages). */
async function requestBody(task: TaskSpec, image: ImageChoice, model: string, params: Record<string, unknown>, scene: SceneChoice, prompt: string): Promise<FormData | object> {
  if (task.chat) {
    const url = image.kind === 'url' ? image.url : await fileToDataUrl(image.file);
    return { ...(model && { model }), ...params, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }, { type: 'text', text: prompt }] }] };
  }
  const camera = task.camera ? scene.fields() : {};
  if (image.kind === 'url') return { url: image.url, ...(model && { model }), ...params, ...camera };
  const form = new FormData();
  form.append('image', image.file, image.file.name || 'image');
  if (model) form.append('model', model);
  for (const [name, value] of Object.entries({ ...params, ...camera })) {
    if (Array.isArray(value)) for (const item of value) form.append(name, String(item));
    else form.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return form;
}

/** The playground: pick an image, a task, a model and thresholds; see the result drawn over the image. */
export function Playground() {
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [paths, setPaths] = useState<Record<string, Record<string, unknown>>>({});
  const [loadError, setLoadError] = useState<string>();
  const [taskId, setTaskId] = useState('detect');
  const [model, setModel] = useState('');
  const [params, setParams] = useState<Record<string, ParamValues>>({});
  const [scene, setScene] = useState<SceneChoice>({ fields: () => ({}) });
  const [prompt, setPrompt] = useState('Describe this image.');
  const [image, setImage] = useState<ImageChoice>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [shown, setShown] = useState<Shown>();
  const [jobId, setJobId] = useState<string>();
  // The job's state comes from the tracker, which every job event feeds: an event that arrives
  // before POST /v1/jobs has answered is not lost.
  const job = useTrackedJobs().find((j) => j.id === jobId);

  useEffect(() => {
    Promise.all([api<{ data: ModelEntry[] }>('/v1/models'), openApiDocument()])
      .then(([list, doc]) => {
        setModels(list.data);
        setPaths(doc.paths);
      })
      .catch((e: unknown) => setLoadError((e as Error).message));
  }, []);

  const tasks = useMemo(() => availableTasks(paths, models), [paths, models]);
  const task = tasks.find((t) => t.id === taskId) ?? tasks[0];
  const fields = useMemo(() => (task ? paramFields(paths, task.endpoint) : []), [paths, task]);
  const urlSupported = Boolean(task && !task.chat && paramFieldsHaveUrl(paths, task.endpoint));
  const taskModels = task && !task.camera ? models.filter((m) => m.task === task.modelTask) : [];
  const values = (task && params[task.id]) ?? {};

  useEvents(['jobs', 'history'], {
    job: (update: JobView) => trackJob(update),
    history: (entry: HistoryItem) => {
      // A URL input has no local picture: draw over the preview Argus kept of the image it fetched.
      if (shown && !shown.imageSrc && entry.id === shown.result.id && entry.preview_url) setShown({ ...shown, imageSrc: entry.preview_url });
    },
  });

  // A URL input is drawn over Argus's preview, which needs the API key when one is set.
  const shownImage = useImageUrl(shown?.imageSrc);
  const jobStatus = job?.status;
  useEffect(() => {
    if (!job) return;
    if (jobStatus === 'succeeded') void api<JobView>(`/v1/jobs/${encodeURIComponent(job.id)}`).then((done) => done.result && show(done.result), (e: unknown) => setError((e as Error).message));
    if (jobStatus === 'failed') setError(job.error?.message ?? 'The job failed.');
  }, [jobId, jobStatus]);

  const output = useRef<HTMLElement>(null);
  const show = (result: TaskResult) => {
    setShown({ result, imageSrc: image?.kind === 'file' ? image.src : undefined, camera: scene.camera });
    // On a phone the result is below the form: bring it into view.
    if (matchMedia('(max-width: 760px)').matches) requestAnimationFrame(() => output.current?.scrollIntoView({ block: 'start' }));
  };

  const collectParams = () => Object.fromEntries(fields.map((f) => [f.name, paramValue(f, values[f.name])]).filter(([, v]) => v !== undefined));

  const run = async (asJob: boolean) => {
    if (!task || !image) return;
    setBusy(true);
    setError(undefined);
    setShown(undefined);
    setJobId(undefined);
    try {
      if (asJob) {
        const body = image.kind === 'url'
          ? { task: task.jobTask, url: image.url, ...(model && { model }), params: { ...collectParams(), ...(task.camera ? scene.fields() : {}) } }
          : await jobForm(task, image.file, model, { ...collectParams(), ...(task.camera ? scene.fields() : {}) });
        const submitted = await post<JobView>('/v1/jobs', body);
        trackJob(submitted);
        setJobId(submitted.id);
      } else {
        show(await post<TaskResult>(task.endpoint, await requestBody(task, image, model, collectParams(), scene, prompt)));
      }
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <Notice kind="error">Could not read the server's models: {loadError}</Notice>;
  return (
    <div class="playground">
      <h1 tabIndex={-1}>Playground</h1>
      <div class="playground-grid">
        <form class="panel controls" onSubmit={(e) => (e.preventDefault(), void run(false))}>
          <ImagePicker value={image} onChange={(choice) => (setImage(choice), setShown(undefined), setError(undefined))} urlSupported={urlSupported} />
          {tasks.length === 0 && models.length > 0 && <Notice kind="warning">No task has an installed model. See the System page.</Notice>}
          <div class="field">
            <label for="task">Task</label>
            <select id="task" value={task?.id} onChange={(e) => (setTaskId(e.currentTarget.value), setModel(''), setShown(undefined))}>
              {tasks.map((t) => <option key={t.id} value={t.id}>{t.label}</option>)}
            </select>
          </div>
          {task && !task.camera && (
            <div class="field">
              <label for="model">Model</label>
              <select id="model" value={model} onChange={(e) => setModel(e.currentTarget.value)}>
                <option value="">Server default</option>
                {taskModels.map((m) => (
                  <option key={m.id} value={m.id} disabled={!m.available}>
                    {m.id}{m.loaded ? ' (loaded)' : m.available ? '' : ' (not installed)'}
                  </option>
                ))}
              </select>
            </div>
          )}
          {task?.camera && <SceneInputs onChange={setScene} />}
          {task?.chat && (
            <div class="field">
              <label for="prompt">Prompt</label>
              <textarea id="prompt" rows={3} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
            </div>
          )}
          {task && fields.length > 0 && (
            <fieldset>
              <legend>Parameters</legend>
              <ParamsForm fields={fields} idPrefix={`p-${task.id}`} values={values} onChange={(next) => setParams({ ...params, [task.id]: next })} />
            </fieldset>
          )}
          <div class="actions">
            <button type="submit" disabled={!image || !task || busy}>{busy ? 'Running…' : 'Run'}</button>
            {task?.jobTask && (
              <button type="button" class="secondary" disabled={!image || busy} onClick={() => void run(true)}>Run as async job</button>
            )}
          </div>
          {!image && <p class="muted">Pick an image to run a task on.</p>}
        </form>
        <section class="panel output" ref={output} aria-live="polite" aria-busy={busy}>
          <h2>Result</h2>
          {error && <Notice kind="error">{error}</Notice>}
          {job && (
            <p class="job-line" data-job-status={job.status}>
              Job <code>{job.id.slice(0, 8)}</code> <span class={`status status-${job.status}`}>{job.status}</span>
              {job.status !== 'succeeded' && job.status !== 'failed' && <span class="muted"> · updates live</span>}
            </p>
          )}
          {shown ? (
            <>
              {!shown.imageSrc && image?.kind === 'url' && <p class="muted">Waiting for Argus's copy of the image…</p>}
              <ResultView result={shown.result} imageSrc={shownImage} camera={shown.camera} />
            </>
          ) : (
            !error && !job && <p class="muted">Results appear here, drawn over the image.</p>
          )}
        </section>
      </div>
    </div>
  );
}

function paramFieldsHaveUrl(paths: Record<string, Record<string, unknown>>, endpoint: string): boolean {
  const post = paths[endpoint]?.post as { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } } | undefined;
  return Boolean(post?.requestBody?.content?.['application/json']?.schema?.properties?.url);
}

/** POST /v1/jobs as multipart: the file, the task, the model and the params as one JSON field. */
async function jobForm(task: TaskSpec, file: File, model: string, params: Record<string, unknown>): Promise<FormData> {
  const form = new FormData();
  form.append('task', task.jobTask ?? task.id);
  form.append('image', file, file.name || 'image');
  if (model) form.append('model', model);
  form.append('params', JSON.stringify(params));
  return form;
}
