import { errors } from '../../errors.js';
import type { CameraRecord, CameraStore } from '../../store/cameras.js';
import { compileCamera, type CompiledCamera } from './config.js';
import type { PipelineFile } from './pipeline-file.js';
import { CAMERA_ID, type CameraConfig } from './schema.js';
import { round6 } from '../../numbers.js';

/** A camera as the API shows it: the config as given, plus what Argus computed from it. */
export interface CameraView {
  id: string;
  /** file: from the pipeline config file (read-only here); api: PUT through the API (stored). */
  origin: 'file' | 'api';
  config: CameraConfig;
  computed: {
    homography?: { matrix: number[][]; rms_error_m?: number };
    zones: Array<{ name: string; space: 'ground' | 'image'; risk: string }>;
    rules: Array<{ name: string; type: string; risk: string }>;
    priorities: Record<string, string>;
  };
  created_at?: string;
  updated_at?: string;
}

const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());

function view(camera: CompiledCamera, origin: CameraView['origin'], record?: CameraRecord): CameraView {
  const h = camera.homography;
  return {
    id: camera.id,
    origin,
    config: camera.config,
    computed: {
      ...(h && { homography: { matrix: h.matrix, ...(h.rmsError !== undefined && { rms_error_m: round6(h.rmsError) }) } }),
      zones: camera.zones.map((z) => ({ name: z.name, space: z.space, risk: z.risk })),
      rules: camera.rules.map((r) => ({ name: r.name, type: r.type, risk: r.risk })),
      priorities: camera.priorities,
    },
    created_at: iso(record?.created_at),
    updated_at: iso(record?.updated_at),
  };
}

function checkId(id: string): void {
  if (!CAMERA_ID.test(id)) throw errors.badRequest(`Invalid camera id '${id.slice(0, 80)}': 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit.`);
}

/**
 * Every camera Argus knows: those of the pipeline config file (compiled at start, read-only through
 * the API so the file stays their one source) and those PUT through the API (stored, compiled on
 * each read).
 */
export class CameraRegistry {
  constructor(private readonly store: CameraStore, private readonly file?: PipelineFile) {}

  private compile(record: CameraRecord): CompiledCamera {
    return compileCamera(record.id, record.config, { priorities: this.file?.priorities });
  }

  /** A camera ready for analysis; 404 when unknown. */
  async get(id: string): Promise<CompiledCamera> {
    const fromFile = this.file?.cameras.get(id);
    if (fromFile) return fromFile;
    const record = await this.store.get(id);
    if (!record) throw errors.cameraNotFound(id, (await this.ids()).slice(0, 20));
    return this.compile(record);
  }

  /** Compiles a config sent with a request (not stored). */
  inline(config: unknown): CompiledCamera {
    return compileCamera('inline', config, { priorities: this.file?.priorities });
  }

  async ids(): Promise<string[]> {
    const stored = (await this.store.list()).map((r) => r.id);
    return [...new Set([...(this.file?.cameras.keys() ?? []), ...stored])].sort();
  }

  async view(id: string): Promise<CameraView> {
    const fromFile = this.file?.cameras.get(id);
    if (fromFile) return view(fromFile, 'file');
    checkId(id);
    const record = await this.store.get(id);
    if (!record) throw errors.cameraNotFound(id, (await this.ids()).slice(0, 20));
    return view(this.compile(record), 'api', record);
  }

  async list(): Promise<CameraView[]> {
    const fromFile = [...(this.file?.cameras.values() ?? [])].map((c) => view(c, 'file'));
    const stored = (await this.store.list()).filter((r) => !this.file?.cameras.has(r.id)).map((r) => view(this.compile(r), 'api', r));
    return [...fromFile, ...stored].sort((a, b) => a.id.localeCompare(b.id));
  }

  private refuseFileCamera(id: string, action: string): void {
    if (this.file?.cameras.has(id)) {
      throw errors.conflict(`Camera '${id}' is defined in the pipeline config file (${this.file.path}); ${action} it there and restart.`);
    }
  }

  /** Validates and stores a camera; `created` is false when it replaced one. */
  async put(id: string, config: unknown): Promise<{ camera: CameraView; created: boolean }> {
    checkId(id);
    this.refuseFileCamera(id, 'change');
    const compiled = compileCamera(id, config, { priorities: this.file?.priorities });
    const { record, created } = await this.store.put(id, config);
    return { camera: view(compiled, 'api', record), created };
  }

  async delete(id: string): Promise<void> {
    checkId(id);
    this.refuseFileCamera(id, 'remove');
    if (!(await this.store.delete(id))) throw errors.cameraNotFound(id, (await this.ids()).slice(0, 20));
  }
}
