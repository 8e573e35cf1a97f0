import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/helpers.js';
import { EulerScheduler, parseSchedulerConfig } from './scheduler.js';

/** SD-Turbo's scheduler_config.json (the tiny fixture carries the real one). */
const SD_TURBO = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/tiny-diffusion/scheduler/scheduler_config.json'), 'utf8')) as Record<string, unknown>;

/** σ_t computed by diffusers' own code path (torch float32 betas and cumprod) for the SD schedule. */
const DIFFUSERS_SIGMAS: Record<number, number> = { 999: 14.614645, 749: 4.0817308, 499: 1.6128870, 249: 0.6932054, 0: 0.0291675, 500: 1.6182796 };

const close = (actual: number, expected: number, rel = 1e-4) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * rel + 1e-7);

describe('EulerScheduler from SD-Turbo\'s config', () => {
  const scheduler = new EulerScheduler(parseSchedulerConfig(SD_TURBO));

  it('has Stable Diffusion\'s σ range (k-diffusion: σ_min 0.0292, σ_max 14.6146)', () => {
    for (const [t, sigma] of Object.entries(DIFFUSERS_SIGMAS)) close(scheduler.trainSigmas[Number(t)], sigma);
  });

  it('spaces timesteps "trailing": 1 step → 999, 4 steps → 999, 749, 499, 249, then σ = 0', () => {
    const one = scheduler.schedule(1);
    expect(one.timesteps).toEqual([999]);
    close(one.sigmas[0], DIFFUSERS_SIGMAS[999]);
    expect(one.sigmas[1]).toBe(0);
    close(one.initNoiseSigma, DIFFUSERS_SIGMAS[999]);
    const four = scheduler.schedule(4);
    expect(four.timesteps).toEqual([999, 749, 499, 249]);
    four.timesteps.forEach((t, i) => close(four.sigmas[i], DIFFUSERS_SIGMAS[t]));
    expect(scheduler.schedule(3).timesteps).toEqual([999, 666, 332]);
    expect(() => scheduler.schedule(0)).toThrow(/steps/);
  });

  it('scales the UNet input by 1/√(σ² + 1)', () => {
    const out = scheduler.scaleModelInput(Float32Array.from([3, -4]), Math.sqrt(3));
    expect(Array.from(out)).toEqual([1.5, -2]);
  });

  it('takes an Euler step: x̂₀ = x − σε̂, x_next = x + (x − x̂₀)/σ · (σ_next − σ)', () => {
    // With ε̂ = the true noise, one step to σ = 0 lands exactly on the clean sample.
    const clean = 0.25;
    const eps = -1.5;
    const sigma = 14.6146;
    const x = Float32Array.from([clean + sigma * eps]);
    scheduler.step(Float32Array.from([eps]), x, sigma, 0);
    close(x[0], clean, 1e-5);
    // Halfway: x_next = x̂₀ + σ_next·ε̂.
    const y = Float32Array.from([clean + 2 * eps]);
    scheduler.step(Float32Array.from([eps]), y, 2, 1);
    close(y[0], clean + eps, 1e-6);
  });
});

describe('other configurations', () => {
  it('reads linspace and leading spacing as diffusers does', () => {
    const linspace = new EulerScheduler(parseSchedulerConfig({ ...SD_TURBO, timestep_spacing: 'linspace' })).schedule(3);
    expect(linspace.timesteps).toEqual([999, 499.5, 0]);
    close(linspace.sigmas[1], 1.6155833);
    const leading = new EulerScheduler(parseSchedulerConfig({ ...SD_TURBO, timestep_spacing: 'leading' })).schedule(4);
    expect(leading.timesteps).toEqual([751, 501, 251, 1]);
    // Leading schedules start below the last training step, so the initial noise is √(σ_max² + 1).
    close(leading.initNoiseSigma, Math.sqrt(leading.sigmas[0] ** 2 + 1));
  });

  it('uses a linear β schedule when told (σ_999 = 157.41 for β 1e-4 → 0.02)', () => {
    const linear = new EulerScheduler(parseSchedulerConfig({ ...SD_TURBO, beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 }));
    close(linear.trainSigmas[999], 157.40726, 1e-3);
  });

  it('v-prediction: x̂₀ = x/(σ² + 1) − σ·v̂/√(σ² + 1)', () => {
    const v = new EulerScheduler(parseSchedulerConfig({ ...SD_TURBO, prediction_type: 'v_prediction' }));
    // For x = x₀ + σε the v target is (ε − σx₀)/√(σ² + 1); one step to 0 must give x₀ back.
    const [x0, eps, sigma] = [0.4, 0.7, 3];
    const target = (eps - sigma * x0) / Math.sqrt(sigma ** 2 + 1);
    const x = Float32Array.from([x0 + sigma * eps]);
    v.step(Float32Array.from([target]), x, sigma, 0);
    close(x[0], x0, 1e-5);
  });

  it('ancestral: steps to σ_down and adds σ_up·z, with σ_down² + σ_up² = σ_next²', () => {
    const ancestral = new EulerScheduler(parseSchedulerConfig({ ...SD_TURBO, _class_name: 'EulerAncestralDiscreteScheduler' }));
    expect(ancestral.ancestral).toBe(true);
    const [sigma, next, eps, clean] = [4, 2, 0.5, 1];
    const up = Math.sqrt((next ** 2 * (sigma ** 2 - next ** 2)) / sigma ** 2);
    const down = Math.sqrt(next ** 2 - up ** 2);
    close(down ** 2 + up ** 2, next ** 2);
    const withoutNoise = Float32Array.from([clean + sigma * eps]);
    ancestral.step(Float32Array.from([eps]), withoutNoise, sigma, next, Float32Array.from([0]));
    close(withoutNoise[0], clean + down * eps, 1e-6);
    const withNoise = Float32Array.from([clean + sigma * eps]);
    ancestral.step(Float32Array.from([eps]), withNoise, sigma, next, Float32Array.from([1]));
    close(withNoise[0] - withoutNoise[0], up, 1e-5);
    expect(() => ancestral.step(Float32Array.from([eps]), withNoise, sigma, next)).toThrow(/noise/);
  });

  it('refuses what it does not implement, naming it', () => {
    expect(() => parseSchedulerConfig({ ...SD_TURBO, _class_name: 'LCMScheduler' })).toThrow(/LCMScheduler.*not supported/);
    expect(() => parseSchedulerConfig({ ...SD_TURBO, use_karras_sigmas: true })).toThrow(/use_karras_sigmas/);
    expect(() => parseSchedulerConfig({ ...SD_TURBO, prediction_type: 'sample' })).toThrow(/prediction_type/);
    expect(() => parseSchedulerConfig({ ...SD_TURBO, timestep_type: 'continuous' })).toThrow(/timestep_type/);
    expect(() => parseSchedulerConfig({ ...SD_TURBO, trained_betas: [0.1] })).toThrow(/trained_betas/);
    expect(() => parseSchedulerConfig('nope')).toThrow(/JSON object/);
  });
});
