import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Fails the run at once, with what to do, when the real models are not where tests expect them. */
export default function setup(): void {
  const modelsDir = process.env.ARGUS_MODELS_DIR;
  const required = join(modelsDir ?? '', 'detect/yolov8n_int8.onnx');
  if (!modelsDir || !existsSync(required)) {
    throw new Error(
      `Tests need the real models: ${required} was not found. Set ARGUS_MODELS_DIR to the shared models ` +
        'folder (for example ARGUS_MODELS_DIR=../shared/models); see ../shared/README.md.',
    );
  }
}
