/**
 * Seeded noise for diffusion. The same seed must give the same image byte for byte, on every run
 * and in every worker, so noise never comes from Math.random or crypto: a small, well-known PRNG
 * (xoshiro128**, seeded through SplitMix32) feeds a Box–Muller transform. V8's Math.log, sqrt, cos
 * and sin are software implementations (fdlibm ports), so the floats are the same on every machine.
 */

/** SplitMix32: spreads a 32-bit seed over the four words of xoshiro's state (never all zero). */
function splitMix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A deterministic source of uniform and standard-normal numbers. */
export class SeededRandom {
  private readonly s = new Uint32Array(4);
  /** Box–Muller makes two normals at a time; the second waits here. */
  private spare: number | undefined;

  constructor(seed: number) {
    const next = splitMix32(seed);
    for (let i = 0; i < 4; i++) this.s[i] = next();
  }

  /** A generator with xoshiro's raw state, to check it against the reference implementation's outputs. */
  static fromState(state: readonly [number, number, number, number]): SeededRandom {
    const random = new SeededRandom(0);
    random.s.set(state);
    return random;
  }

  /** xoshiro128** (Blackman & Vigna): the next 32 random bits. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in (0, 1]: never 0, so log(u) in Box–Muller is finite. */
  uniform(): number {
    return (this.nextUint32() + 1) / 4294967296;
  }

  /** Standard normal N(0, 1) by Box–Muller: r = √(−2 ln u₁), θ = 2π u₂ → (r cos θ, r sin θ). */
  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Fills `out` with standard normals, in order. */
  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
