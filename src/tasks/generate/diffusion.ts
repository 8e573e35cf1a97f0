/**
 * Stable Diffusion on onnxruntime, from an exported folder: CLIP text encoder → UNet denoising
 * loop (Euler, with classifier-free guidance when asked) → VAE decoder; image-to-image encodes the
 * input with the VAE encoder and starts the loop part-way, at the strength's noise level.
 * Everything random comes from per-image seeded generators, so a seed reproduces an image.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from '../../errors.js';
import type { OnnxFolderSession } from '../../runtimes/onnx-folder.js';
import type { IoSpec, RuntimeSession } from '../../runtimes/types.js';
import { pickOutput, requireInput, runGraph, toInput } from './graph-io.js';
import { SeededRandom } from './random.js';
import { EulerScheduler, parseSchedulerConfig, type Schedule } from './scheduler.js';
import { loadClipTokenizer, type ClipTokenizer, type PromptTokens } from './tokenizer.js';

/** Latent scale of SD 1.x/2.x VAEs, used when the export carries no VAE config (Olive's does not). */
const DEFAULT_SCALING_FACTOR = 0.18215;
/** Pixels per latent along each side in every SD VAE (three 2× downsamplings). */
const VAE_FACTOR = 8;
/** SD UNets downsample latents three times, so image sides must be multiples of 8 · 2³ without a config saying otherwise. */
const DEFAULT_SIZE_MULTIPLE = 64;

export interface DiffusionRequest {
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  n: number;
  /** Denoising steps actually run. */
  steps: number;
  /** Seeds of the n images (one generator each). */
  seeds: number[];
  guidance: number;
  /** Image-to-image: the input in the VAE's pixel space (3 × height × width, in [-1, 1]) and how much to regenerate (0 < strength ≤ 1). */
  init?: { pixels: Float32Array; strength: number };
  /** Checked before every UNet pass: an aborted request stops there. */
  signal?: AbortSignal;
}

export interface DiffusionResult {
  /** One 3 × height × width image per seed, in the VAE's pixel space (about [-1, 1]). */
  images: Float32Array[];
  tokens: PromptTokens;
  /** Image-to-image: the strength applied, steps ÷ schedule length. */
  strength?: number;
  preprocess_ms: number;
  inference_ms: number;
}

interface Graph {
  session: RuntimeSession;
  output: string;
}

async function readJsonIfPresent(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

function graph(folder: OnnxFolderSession, name: string, output: string): Graph {
  const session = folder.graphs.get(name);
  if (!session) throw new Error(`the folder has no ${name}/model.onnx (it has ${[...folder.graphs.keys()].join(', ')})`);
  return { session, output: pickOutput(session, output) };
}

/** The UNet's own channel count for `sample` when it declares one. */
function declaredDim(input: IoSpec, axis: number, fallback: number): number {
  const dim = input.shape[axis];
  return typeof dim === 'number' && dim > 0 ? dim : fallback;
}

export class StableDiffusion {
  private constructor(
    private readonly textEncoder: Graph,
    private readonly unet: Graph,
    private readonly vaeDecoder: Graph,
    private readonly vaeEncoder: Graph | undefined,
    readonly tokenizer: ClipTokenizer,
    readonly scheduler: EulerScheduler,
    private readonly scalingFactor: number,
    /** Image sides must be multiples of this for the UNet's down- and upsamplings to line up. */
    readonly sizeMultiple: number,
  ) {}

  /** Checks the folder's graphs and configs and builds the pipeline; every problem is named at load. */
  static async load(folder: OnnxFolderSession): Promise<StableDiffusion> {
    const textEncoder = graph(folder, 'text_encoder', 'last_hidden_state');
    requireInput(textEncoder.session, 'text_encoder', 'input_ids');
    const unet = graph(folder, 'unet', 'out_sample');
    for (const name of ['sample', 'timestep', 'encoder_hidden_states']) requireInput(unet.session, 'unet', name);
    const vaeDecoder = graph(folder, 'vae_decoder', 'sample');
    requireInput(vaeDecoder.session, 'vae_decoder', 'latent_sample');
    const vaeEncoder = folder.graphs.has('vae_encoder') ? graph(folder, 'vae_encoder', 'latent_sample') : undefined;
    if (vaeEncoder) requireInput(vaeEncoder.session, 'vae_encoder', 'sample');

    const tokenizer = await loadClipTokenizer(join(folder.dir, 'tokenizer'));
    const schedulerConfig = await readJsonIfPresent(join(folder.dir, 'scheduler', 'scheduler_config.json'));
    if (!schedulerConfig) throw new Error('the folder has no scheduler/scheduler_config.json');
    const scheduler = new EulerScheduler(parseSchedulerConfig(schedulerConfig));
    const vaeConfig = (await readJsonIfPresent(join(folder.dir, 'vae_decoder', 'config.json'))) ?? (await readJsonIfPresent(join(folder.dir, 'vae', 'config.json')));
    const scaling = Number(vaeConfig?.scaling_factor ?? DEFAULT_SCALING_FACTOR);
    const unetConfig = await readJsonIfPresent(join(folder.dir, 'unet', 'config.json'));
    const blocks = Array.isArray(unetConfig?.block_out_channels) ? unetConfig.block_out_channels.length : undefined;
    const multiple = blocks ? VAE_FACTOR * 2 ** (blocks - 1) : DEFAULT_SIZE_MULTIPLE;
    return new StableDiffusion(textEncoder, unet, vaeDecoder, vaeEncoder, tokenizer, scheduler, scaling, multiple);
  }

  /** Whether the export has a VAE encoder, which image edits need. */
  get canEdit(): boolean {
    return this.vaeEncoder !== undefined;
  }

  private get latentChannels(): number {
    return declaredDim(requireInput(this.unet.session, 'unet', 'sample'), 1, 4);
  }

  /** CLIP hidden states for each token row, [rows, 77, hidden]. */
  private async encodeText(rows: PromptTokens[]): Promise<{ data: Float32Array; perRow: number }> {
    const length = this.tokenizer.length;
    const ids = Float32Array.from(rows.flatMap((r) => r.ids));
    const input = requireInput(this.textEncoder.session, 'text_encoder', 'input_ids');
    const { data, dims } = await runGraph(this.textEncoder.session, { input_ids: toInput(input, ids, [rows.length, length]) }, this.textEncoder.output);
    return { data, perRow: dims.slice(1).reduce((a, b) => a * b, 1) };
  }

  /** The input image's latent: the encoder's sample (or the mean, when it returns mean and log-variance) × the scaling factor. */
  private async encodeImage(pixels: Float32Array, width: number, height: number, channels: number): Promise<Float32Array> {
    const encoder = this.vaeEncoder!;
    const input = requireInput(encoder.session, 'vae_encoder', 'sample');
    const { data, dims } = await runGraph(encoder.session, { sample: toInput(input, pixels, [1, 3, height, width]) }, encoder.output);
    const size = channels * (height / VAE_FACTOR) * (width / VAE_FACTOR);
    if (dims[1] !== channels && dims[1] !== 2 * channels) throw new Error(`vae_encoder returned ${dims[1]} channels, not ${channels} (or ${2 * channels})`);
    return data.slice(0, size).map((v) => v * this.scalingFactor);
  }

  /** Runs the whole pipeline for one request. */
  async generate(request: DiffusionRequest): Promise<DiffusionResult> {
    const started = performance.now();
    const { n, width, height, steps, guidance } = request;
    const channels = this.latentChannels;
    const [h, w] = [height / VAE_FACTOR, width / VAE_FACTOR];
    const size = channels * h * w;
    const guided = guidance > 1;
    const tokens = this.tokenizer.encode(request.prompt);
    const rows = guided ? [this.tokenizer.encode(request.negativePrompt ?? ''), tokens] : [tokens];
    const random = request.seeds.map((seed) => new SeededRandom(seed));
    // Each image's first draws are its starting noise, so image i depends only on seed i.
    const latents = new Float32Array(n * size);
    random.forEach((r, i) => r.fillNormal(latents.subarray(i * size, (i + 1) * size)));
    const preprocessed = performance.now();

    const text = await this.encodeText(rows);
    const batch = guided ? 2 * n : n;
    // UNet rows: [unconditional × n, conditional × n] with guidance, else [conditional × n].
    const hidden = new Float32Array(batch * text.perRow);
    for (let b = 0; b < batch; b++) {
      const row = guided && b >= n ? 1 : 0;
      hidden.set(text.data.subarray(row * text.perRow, (row + 1) * text.perRow), b * text.perRow);
    }

    let schedule: Schedule;
    let start: number;
    let strength: number | undefined;
    if (request.init) {
      if (!this.vaeEncoder) throw new Error('this export has no vae_encoder');
      // `steps` steps are run from the strength's noise level: the schedule is stretched to
      // steps ÷ strength so its last `steps` steps begin there (diffusers runs steps × strength).
      const length = Math.min(this.scheduler.settings.trainSteps, Math.max(steps, Math.round(steps / request.init.strength)));
      schedule = this.scheduler.schedule(length);
      start = length - steps;
      strength = steps / length;
      const init = await this.encodeImage(request.init.pixels, width, height, channels);
      // x = x₀ + σ_start·ε: the input's latent noised to the first step's level.
      const sigma = schedule.sigmas[start];
      for (let i = 0; i < latents.length; i++) latents[i] = init[i % size] + latents[i] * sigma;
    } else {
      schedule = this.scheduler.schedule(steps);
      start = 0;
      for (let i = 0; i < latents.length; i++) latents[i] *= schedule.initNoiseSigma;
    }

    const sampleInput = requireInput(this.unet.session, 'unet', 'sample');
    const timestepInput = requireInput(this.unet.session, 'unet', 'timestep');
    const hiddenInput = requireInput(this.unet.session, 'unet', 'encoder_hidden_states');
    const hiddenFeed = toInput(hiddenInput, hidden, [batch, this.tokenizer.length, text.perRow / this.tokenizer.length]);
    // A timestep declared as one value (or a scalar) is broadcast by the graph; otherwise one per row.
    const timestepDims = timestepInput.shape.length === 0 ? [] : timestepInput.shape[0] === 1 ? [1] : [batch];
    const noise = this.scheduler.ancestral ? new Float32Array(n * size) : undefined;
    for (let j = start; j < schedule.timesteps.length; j++) {
      if (request.signal?.aborted) throw errors.cancelled();
      const sigma = schedule.sigmas[j];
      const scaled = this.scheduler.scaleModelInput(latents, sigma);
      const sample = guided ? concat(scaled, scaled) : scaled;
      const t = new Float32Array(Math.max(1, timestepDims[0] ?? 1)).fill(schedule.timesteps[j]);
      const { data: predicted } = await runGraph(this.unet.session, {
        sample: toInput(sampleInput, sample, [batch, channels, h, w]),
        timestep: toInput(timestepInput, t, timestepDims),
        encoder_hidden_states: hiddenFeed,
      }, this.unet.output);
      const epsilon = guided ? guide(predicted, n * size, guidance) : predicted;
      if (noise) random.forEach((r, i) => r.fillNormal(noise.subarray(i * size, (i + 1) * size)));
      this.scheduler.step(epsilon, latents, sigma, schedule.sigmas[j + 1], noise);
    }

    // The decoder runs one image at a time: at 512² a batch of four needs several GB of activations.
    const decoderInput = requireInput(this.vaeDecoder.session, 'vae_decoder', 'latent_sample');
    const images: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const z = latents.slice(i * size, (i + 1) * size).map((v) => v / this.scalingFactor);
      const { data, dims } = await runGraph(this.vaeDecoder.session, { latent_sample: toInput(decoderInput, z, [1, channels, h, w]) }, this.vaeDecoder.output);
      if (dims[1] !== 3 || dims[2] !== height || dims[3] !== width) throw new Error(`vae_decoder returned [${dims.join(', ')}], not [1, 3, ${height}, ${width}]`);
      images.push(data);
    }
    const done = performance.now();
    return { images, tokens, strength, preprocess_ms: preprocessed - started, inference_ms: done - preprocessed };
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Classifier-free guidance: ε = ε_uncond + g·(ε_cond − ε_uncond), the first half of the batch being unconditional. */
export function guide(predicted: Float32Array, half: number, scale: number): Float32Array {
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = predicted[i] + scale * (predicted[half + i] - predicted[i]);
  return out;
}
