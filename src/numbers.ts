/**
 * Rounding as every result writes its numbers: `Math.round(value · 10^digits) / 10^digits`, so
 * ties go up (toward +∞) and the output is the nearest double to the decimal. A leaf: no imports.
 * Timings are in ms to 0.01 (`round2`); confidences and scores to 4 or 6 places.
 */

/** To 1 decimal place. */
export const round1 = (value: number): number => Math.round(value * 10) / 10;

/** To 2 decimal places: milliseconds, pixels, speeds. */
export const round2 = (value: number): number => Math.round(value * 100) / 100;

/** To 3 decimal places. */
export const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** To 4 decimal places: confidences and keypoint scores. */
export const round4 = (value: number): number => Math.round(value * 1e4) / 1e4;

/** To 6 decimal places: class scores and similarities. */
export const round6 = (value: number): number => Math.round(value * 1e6) / 1e6;
