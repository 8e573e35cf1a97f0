import { SqliteFaceGalleryStore } from '../store/sqlite/face-gallery.js';
import { PostgresFaceGalleryStore } from '../store/postgres/face-gallery.js';
import { PostgresVectorStore } from '../store/postgres/vectors.js';
import { SqliteVectorStore } from '../store/sqlite/vectors.js';
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
 * same wherever it is picked up; with PostgreSQL the state they keep (cameras, vectors) is shared.
 */
export function registerFeatures(deps: FeatureDeps): Features {
  const scene = registerSceneTasks(deps);
  registerVisionAnalyzeTasks(deps);
  registerFaceCompareTask(deps);
  const store = deps.pg ? new PostgresVectorStore(deps.pg) : new SqliteVectorStore(deps.db);
  const search = registerSearch({ service: deps.service, config: deps.config, log: deps.log, store });
  const galleryStore = deps.pg ? new PostgresFaceGalleryStore(deps.pg) : new SqliteFaceGalleryStore(deps.db);
  const gallery = new FaceGalleryService({ service: deps.service, store: galleryStore, log: deps.log });
  registerFaceRecognizeTask(deps.service, gallery);
  return { scene, search, gallery };
}
