import { registerFaceCompareTask } from '../features/faces/compare.js';
import { FaceGalleryService, registerFaceRecognizeTask } from '../features/faces/gallery.js';
import type { FeatureDeps } from '../features/deps.js';
import { registerSceneTasks, type SceneService } from '../features/scene/service.js';
import { registerSearch, type SearchService } from '../features/search/service.js';
import { registerVisionAnalyzeTasks } from '../features/vision-presets/analyze.js';

export interface Features {
  scene: SceneService;
  search: SearchService;
  gallery: FaceGalleryService;
}

/**
 * Registers every composite task and result hook on a node's inference service. API nodes and
 * worker nodes both call this, so a composite job (analyze, face-compare, search, …) runs the
 * same wherever it is picked up; with PostgreSQL the state they keep (`deps.stores`: cameras, vectors, faces, files) is shared.
 */
export function registerFeatures(deps: FeatureDeps): Features {
  const scene = registerSceneTasks(deps);
  registerVisionAnalyzeTasks(deps);
  registerFaceCompareTask(deps);
  const search = registerSearch({ service: deps.service, config: deps.config, log: deps.log, store: deps.stores.vectors });
  const gallery = new FaceGalleryService({ service: deps.service, store: deps.stores.gallery, log: deps.log });
  registerFaceRecognizeTask(deps.service, gallery);
  return { scene, search, gallery };
}
