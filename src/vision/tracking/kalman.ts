import { inverse, Matrix } from 'ml-matrix';

/**
 * A box as the filter measures it: centre x, centre y, aspect ratio (w/h) and height, in pixels.
 * Tracking the aspect ratio rather than the width keeps the filter's noise proportional to size.
 */
export type Xyah = [number, number, number, number];

/** The filter state: `mean` is [cx, cy, a, h, vcx, vcy, va, vh] (velocities per frame interval). */
export interface KalmanState {
  mean: number[];
  covariance: Matrix;
}

/** Process and measurement noise relative to the box height, as ByteTrack (and DeepSORT) set them. */
const STD_POSITION = 1 / 20;
const STD_VELOCITY = 1 / 160;

// ml-matrix's add/sub/mul work in place: shared constants are only ever read (mmul, transpose).
const PROJECTION = Matrix.eye(4, 8);

function transition(dt: number): Matrix {
  const f = Matrix.eye(8, 8);
  for (let i = 0; i < 4; i++) f.set(i, i + 4, dt);
  return f;
}

const diagonal = (values: number[]) => Matrix.diag(values.map((v) => v * v));

/**
 * A constant-velocity Kalman filter over (cx, cy, a, h), as in ByteTrack. Time is counted in
 * frame intervals: `dt` is 1 for consecutive sampled frames and more when frames were dropped.
 */
export const kalman = {
  /** A new track's state from its first measurement: unknown velocity, wide uncertainty. */
  initiate(measurement: Xyah): KalmanState {
    const h = measurement[3];
    const std = [2 * STD_POSITION * h, 2 * STD_POSITION * h, 1e-2, 2 * STD_POSITION * h, 10 * STD_VELOCITY * h, 10 * STD_VELOCITY * h, 1e-5, 10 * STD_VELOCITY * h];
    return { mean: [...measurement, 0, 0, 0, 0], covariance: diagonal(std) };
  },

  /** Moves the state `dt` frame intervals ahead. */
  predict(state: KalmanState, dt = 1): KalmanState {
    const h = state.mean[3];
    const std = [STD_POSITION * h, STD_POSITION * h, 1e-2, STD_POSITION * h, STD_VELOCITY * h, STD_VELOCITY * h, 1e-5, STD_VELOCITY * h];
    const f = transition(dt);
    const mean = f.mmul(Matrix.columnVector(state.mean)).getColumn(0);
    const covariance = f.mmul(state.covariance).mmul(f.transpose()).add(diagonal(std).mul(Math.max(dt, 1e-3)));
    return { mean, covariance };
  },

  /** Corrects the state with a measured box. */
  update(state: KalmanState, measurement: Xyah): KalmanState {
    const h = state.mean[3];
    const r = diagonal([STD_POSITION * h, STD_POSITION * h, 1e-1, STD_POSITION * h]);
    const projectedCov = PROJECTION.mmul(state.covariance).mmul(PROJECTION.transpose()).add(r);
    const gain = state.covariance.mmul(PROJECTION.transpose()).mmul(inverse(projectedCov));
    const innovation = Matrix.columnVector(measurement.map((m, i) => m - state.mean[i]));
    const mean = Matrix.columnVector(state.mean).add(gain.mmul(innovation)).getColumn(0);
    const covariance = Matrix.eye(8, 8).sub(gain.mmul(PROJECTION)).mmul(state.covariance);
    return { mean, covariance };
  },
};

export function boxToXyah(box: { x1: number; y1: number; x2: number; y2: number }): Xyah {
  const w = box.x2 - box.x1;
  const h = Math.max(box.y2 - box.y1, 1e-6);
  return [box.x1 + w / 2, box.y1 + h / 2, w / h, h];
}

export function xyahToBox(mean: readonly number[]): { x1: number; y1: number; x2: number; y2: number } {
  const [cx, cy, a, h] = mean;
  const w = a * h;
  return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
}
