/**
 * The Euler samplers of Stable Diffusion (k-diffusion's `sample_euler` and
 * `sample_euler_ancestral`, as diffusers' EulerDiscreteScheduler and
 * EulerAncestralDiscreteScheduler implement them), configured from the model's
 * `scheduler/scheduler_config.json`. SD-Turbo ships EulerDiscreteScheduler with "trailing"
 * spacing. Options that change the maths in ways not implemented here (Karras sigmas, zero-SNR
 * rescaling, continuous timesteps, other schedulers) are refused at load instead of ignored.
 *
 * Notation: ᾱ_t is the cumulative product of (1 − β) up to training step t, and
 * σ_t = √((1 − ᾱ_t) / ᾱ_t) is the noise level of step t in the "variance exploding" form
 * x_t = x₀ + σ_t·ε that the Euler samplers integrate.
 */
import { roundHalfEven } from '../../vision/letterbox.js';

export type SchedulerKind = 'euler' | 'euler-ancestral';
export type PredictionType = 'epsilon' | 'v_prediction';
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

export interface SchedulerSettings {
  kind: SchedulerKind;
  trainSteps: number;
  betas: Float64Array;
  prediction: PredictionType;
  spacing: TimestepSpacing;
  stepsOffset: number;
  /** σ after the last step: 0 ("zero") or the smallest training σ ("sigma_min"). */
  finalSigma: 'zero' | 'sigma_min';
}

/** Timesteps to feed the UNet and the σ at each of them, plus σ after the last one. */
export interface Schedule {
  /** Training-step indices fed to the UNet as `timestep` (fractional for "linspace" spacing). */
  timesteps: number[];
  /** σ per timestep, then the final σ: `timesteps.length + 1` values, decreasing. */
  sigmas: number[];
  /** Standard deviation of the initial noise for text-to-image. */
  initNoiseSigma: number;
}

const CLASSES: Record<string, SchedulerKind> = {
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler-ancestral',
};

function fail(message: string): never {
  throw new Error(`scheduler_config.json: ${message}`);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], key: string, fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  return fail(`${key} ${JSON.stringify(value)} is not supported (supported: ${allowed.join(', ')})`);
}

/** Reads a diffusers scheduler config, refusing what this implementation would get wrong. */
export function parseSchedulerConfig(raw: unknown): SchedulerSettings {
  if (raw === null || typeof raw !== 'object') fail('not a JSON object');
  const c = raw as Record<string, unknown>;
  const kind = CLASSES[String(c._class_name)];
  if (!kind) fail(`_class_name ${JSON.stringify(c._class_name)} is not supported (supported: ${Object.keys(CLASSES).join(', ')})`);
  for (const flag of ['use_karras_sigmas', 'use_exponential_sigmas', 'use_beta_sigmas', 'rescale_betas_zero_snr']) {
    if (c[flag] === true) fail(`${flag} is not supported`);
  }
  oneOf(c.interpolation_type, ['linear'], 'interpolation_type', 'linear');
  oneOf(c.timestep_type, ['discrete'], 'timestep_type', 'discrete');
  const trainSteps = Number(c.num_train_timesteps ?? 1000);
  if (!Number.isInteger(trainSteps) || trainSteps < 2) fail('num_train_timesteps must be an integer ≥ 2');
  return {
    kind,
    trainSteps,
    betas: betaSchedule(c, trainSteps),
    prediction: oneOf(c.prediction_type, ['epsilon', 'v_prediction'], 'prediction_type', 'epsilon'),
    spacing: oneOf(c.timestep_spacing, ['linspace', 'leading', 'trailing'], 'timestep_spacing', 'linspace'),
    stepsOffset: Number(c.steps_offset ?? 0),
    finalSigma: oneOf(c.final_sigmas_type, ['zero', 'sigma_min'], 'final_sigmas_type', 'zero'),
  };
}

function betaSchedule(c: Record<string, unknown>, n: number): Float64Array {
  if (Array.isArray(c.trained_betas)) {
    if (c.trained_betas.length !== n) fail(`trained_betas has ${c.trained_betas.length} values, not num_train_timesteps (${n})`);
    return Float64Array.from(c.trained_betas, Number);
  }
  const start = Number(c.beta_start ?? 0.0001);
  const end = Number(c.beta_end ?? 0.02);
  const schedule = oneOf(c.beta_schedule, ['linear', 'scaled_linear'], 'beta_schedule', 'linear');
  const betas = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = i / (n - 1);
    // linear: β evenly spaced from start to end; scaled_linear: √β evenly spaced (Stable Diffusion's).
    betas[i] = schedule === 'linear' ? start + f * (end - start) : (Math.sqrt(start) + f * (Math.sqrt(end) - Math.sqrt(start))) ** 2;
  }
  return betas;
}

/** Euler (optionally ancestral) sampling over the σ schedule of a diffusers config. */
export class EulerScheduler {
  /** σ of every training step: σ_t = √((1 − ᾱ_t) / ᾱ_t), ᾱ_t = ∏_{s≤t} (1 − β_s). */
  readonly trainSigmas: Float64Array;

  constructor(readonly settings: SchedulerSettings) {
    const { betas, trainSteps } = settings;
    this.trainSigmas = new Float64Array(trainSteps);
    let alphaBar = 1;
    for (let t = 0; t < trainSteps; t++) {
      alphaBar *= 1 - betas[t];
      this.trainSigmas[t] = Math.sqrt((1 - alphaBar) / alphaBar);
    }
  }

  /** Whether each step adds fresh noise (the caller supplies it, from its seeded generators). */
  get ancestral(): boolean {
    return this.settings.kind === 'euler-ancestral';
  }

  /** σ at a (possibly fractional) training step, interpolated linearly between whole steps. */
  sigmaAt(t: number): number {
    const s = this.trainSigmas;
    const lo = Math.min(Math.max(Math.floor(t), 0), s.length - 1);
    const hi = Math.min(lo + 1, s.length - 1);
    return s[lo] + (t - lo) * (s[hi] - s[lo]);
  }

  /**
   * The `steps` timesteps from noisiest to cleanest, spaced as the config says:
   * - linspace: t_i = (N − 1) − i·(N − 1)/(n − 1), fractional;
   * - leading:  t_i = (n − 1 − i)·⌊N/n⌋ + steps_offset;
   * - trailing: t_i = round(N − i·N/n) − 1, so the first step is always the last training step
   *   (what SD-Turbo was distilled on: 1 step → t = 999).
   * diffusers builds trailing steps with numpy's arange over a float stride, which yields an extra
   * step for some n (e.g. 3) through rounding error; this takes exactly n.
   */
  schedule(steps: number): Schedule {
    const { trainSteps: n, spacing, stepsOffset } = this.settings;
    if (!Number.isInteger(steps) || steps < 1 || steps > n) throw new Error(`steps must be an integer from 1 to ${n}`);
    const timesteps: number[] = [];
    for (let i = 0; i < steps; i++) {
      if (spacing === 'linspace') timesteps.push(steps === 1 ? n - 1 : (n - 1) - (i * (n - 1)) / (steps - 1));
      else if (spacing === 'leading') timesteps.push((steps - 1 - i) * Math.floor(n / steps) + stepsOffset);
      else timesteps.push(roundHalfEven(n - (i * n) / steps) - 1);
    }
    const sigmas = timesteps.map((t) => this.sigmaAt(t));
    sigmas.push(this.settings.finalSigma === 'zero' ? 0 : this.trainSigmas[0]);
    const maxSigma = Math.max(...sigmas);
    // diffusers: x_T ~ N(0, σ_max²) when the schedule starts at the last training step; for
    // "leading" spacing it starts earlier and uses √(σ_max² + 1).
    const initNoiseSigma = spacing === 'leading' ? Math.sqrt(maxSigma ** 2 + 1) : maxSigma;
    return { timesteps, sigmas, initNoiseSigma };
  }

  /** The UNet sees its input at unit variance: x / √(σ² + 1). */
  scaleModelInput(sample: Float32Array, sigma: number, out = new Float32Array(sample.length)): Float32Array {
    const k = 1 / Math.sqrt(sigma * sigma + 1);
    for (let i = 0; i < sample.length; i++) out[i] = sample[i] * k;
    return out;
  }

  /**
   * One step from σ to σ_next, in place on `sample`. The model's output is turned into a
   * prediction of the clean sample x̂₀:
   * - epsilon:      x̂₀ = x − σ·ε̂
   * - v_prediction: x̂₀ = x/(σ² + 1) − σ·v̂/√(σ² + 1)
   * Euler:     d = (x − x̂₀)/σ,  x_next = x + d·(σ_next − σ)
   * ancestral: σ_up = √(σ_next²·(σ² − σ_next²)/σ²), σ_down = √(σ_next² − σ_up²),
   *            x_next = x + d·(σ_down − σ) + σ_up·z, with z ~ N(0, 1) from `noise`.
   */
  step(modelOutput: Float32Array, sample: Float32Array, sigma: number, sigmaNext: number, noise?: Float32Array): Float32Array {
    if (modelOutput.length !== sample.length) throw new Error('model output and sample differ in size');
    let target = sigmaNext;
    let sigmaUp = 0;
    if (this.ancestral) {
      if (!noise || noise.length !== sample.length) throw new Error('ancestral sampling needs a noise tensor the size of the sample');
      sigmaUp = Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2);
      target = Math.sqrt(sigmaNext ** 2 - sigmaUp ** 2);
    }
    const dt = target - sigma;
    const v = this.settings.prediction === 'v_prediction';
    const c = 1 / (sigma * sigma + 1);
    const cOut = -sigma / Math.sqrt(sigma * sigma + 1);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      const x0 = v ? x * c + modelOutput[i] * cOut : x - sigma * modelOutput[i];
      sample[i] = x + ((x - x0) / sigma) * dt + (sigmaUp ? sigmaUp * noise![i] : 0);
    }
    return sample;
  }
}
