import { useEffect, useState } from 'preact/hooks';
import { api, type Camera, type CameraConfig } from '../api';

/** The camera a scene analysis runs with: what to send, and what to draw its zones from. */
export interface SceneChoice {
  fields(): Record<string, unknown>;
  camera?: Camera;
}

// A camera without a homography: zones in image pixels, one rule. Enough to try the task on any photo.
const EXAMPLE: CameraConfig = {
  zones: [{ name: 'left-half', space: 'image', polygon: [[0, 0], [400, 0], [400, 1080], [0, 1080]], risk: 'high' }],
  rules: [{ type: 'in_zone', zone: 'left-half', classes: ['person'] }],
};

/** Picks a defined camera (GET /v1/cameras), or takes an inline camera config as JSON. */
export function SceneInputs({ onChange }: { onChange(choice: SceneChoice): void }) {
  const [cameras, setCameras] = useState<Camera[]>();
  const [selected, setSelected] = useState('');
  const [inline, setInline] = useState(JSON.stringify(EXAMPLE, null, 2));
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    api<{ cameras: Camera[] }>('/v1/cameras')
      .then((list) => {
        setCameras(list.cameras);
        if (list.cameras[0]) setSelected(list.cameras[0].id);
      })
      .catch((e: unknown) => setProblem((e as Error).message));
  }, []);

  useEffect(() => {
    const camera = cameras?.find((c) => c.id === selected);
    if (camera) {
      onChange({ fields: () => ({ camera_id: camera.id }), camera });
      setProblem(undefined);
      return;
    }
    try {
      const config = JSON.parse(inline) as CameraConfig;
      setProblem(undefined);
      onChange({ fields: () => ({ camera: config }), camera: { id: 'inline', origin: 'api', config, computed: {} } });
    } catch {
      setProblem('The inline camera is not valid JSON.');
      onChange({ fields: () => ({ camera: inline }) });
    }
  }, [cameras, selected, inline]);

  return (
    <div class="scene-inputs">
      <div class="field">
        <label for="camera">Camera</label>
        <select id="camera" value={selected} onChange={(e) => setSelected(e.currentTarget.value)}>
          {(cameras ?? []).map((c) => <option key={c.id} value={c.id}>{c.id}</option>)}
          <option value="">Inline config (below)</option>
        </select>
      </div>
      {selected === '' && (
        <div class="field">
          <label for="camera-config">Inline camera config (JSON, as PUT /v1/cameras/{'{id}'} takes it)</label>
          <textarea id="camera-config" rows={8} spellcheck={false} value={inline} onInput={(e) => setInline(e.currentTarget.value)} />
        </div>
      )}
      {problem && <p class="notice notice-warning" role="status">{problem}</p>}
    </div>
  );
}
