/**
 * Which ffmpeg Argus runs. A configured one (`ARGUS_FFMPEG_PATH`) is used as it is; otherwise the
 * system's (on PATH: newer, and patched by the distribution) when it runs; otherwise the static
 * build that ships inside the npm packages `@ffmpeg-installer/ffmpeg` and `@ffprobe-installer/ffprobe`,
 * so video works after `npm ci` with nothing else installed. The choice is said in `/healthz` and
 * `argus doctor`, never made silently.
 */
import { createRequire } from 'node:module';
import { checkFfmpeg, ffmpegTools, type FfmpegTools } from './ffmpeg.js';
import type { FfmpegReport } from '../../service/system.js';

/** Where the ffmpeg in use came from. */
export type FfmpegSource = NonNullable<FfmpegReport['source']>;

export type FfmpegChoice =
  | {
      available: true;
      source: FfmpegSource;
      tools: FfmpegTools;
      /** What `ffmpeg -version` says (a static snapshot build says `N-…-static`). */
      version: string;
      /** libavformat's major version: 58 is ffmpeg 4.x, 59 is 5.x, 60 is 6.x, 61 is 7.x. */
      libavformat?: number;
      /** For the packaged build: the npm packages and the build dates they declare. */
      package?: string;
    }
  | {
      available: false;
      /** Each place looked at, with why it did not work. */
      tried: string[];
      /** What to do about it. */
      fix: string;
    };

const require = createRequire(import.meta.url);

/** The packaged ffmpeg/ffprobe paths; the packages' index files throw (strings, too) when their binary is missing. */
function packaged(): { tools: FfmpegTools; package: string } | { reason: string } {
  try {
    const ffmpeg = require('@ffmpeg-installer/ffmpeg') as { path: string; version: string };
    const ffprobe = require('@ffprobe-installer/ffprobe') as { path: string; version: string };
    return {
      tools: { ffmpeg: ffmpeg.path, ffprobe: ffprobe.path },
      package: `@ffmpeg-installer/ffmpeg (build ${ffmpeg.version}), @ffprobe-installer/ffprobe (build ${ffprobe.version})`,
    };
  } catch (error) {
    return { reason: String(error instanceof Error ? error.message : error) };
  }
}

const INSTALL_FIX =
  'Run `npm ci` again so the packaged ffmpeg is installed (with its install scripts: they make the binaries executable), ' +
  'install the system one (Debian/Ubuntu: apt-get install ffmpeg), or set ARGUS_FFMPEG_PATH.';

/** Runs `-version` on a candidate; a working one becomes a choice, a broken one a line in `tried`. */
async function attempt(source: FfmpegSource, tools: FfmpegTools, tried: string[], pkg?: string): Promise<FfmpegChoice | undefined> {
  const status = await checkFfmpeg(tools);
  if (!status.available) {
    tried.push(`${source} '${tools.ffmpeg}': ${status.reason}`);
    return undefined;
  }
  const legacy = status.libavformat !== undefined && status.libavformat < 59;
  return {
    available: true,
    source,
    tools: { ...tools, ...(legacy && { legacyRtspTimeout: true }) },
    version: status.version,
    ...(status.libavformat !== undefined && { libavformat: status.libavformat }),
    ...(pkg && { package: pkg }),
  };
}

/** The build packaged with Argus (npm), whether or not a system ffmpeg exists. */
export async function packagedFfmpeg(tried: string[] = []): Promise<FfmpegChoice> {
  const pkg = packaged();
  if ('reason' in pkg) tried.push(`packaged: ${pkg.reason}`);
  else {
    const choice = await attempt('packaged', pkg.tools, tried, pkg.package);
    if (choice) return choice;
  }
  return { available: false, tried, fix: INSTALL_FIX };
}

/**
 * Finds a working ffmpeg + ffprobe pair: `configured` only, when given; else the system's, then the
 * packaged one. Runs `-version` on each candidate, so it takes a few tens of milliseconds.
 */
export async function locateFfmpeg(configured?: string): Promise<FfmpegChoice> {
  const tried: string[] = [];
  if (configured) {
    return (await attempt('configured', ffmpegTools(configured), tried)) ?? {
      available: false,
      tried,
      fix: `ARGUS_FFMPEG_PATH is set to '${configured}', which does not run (ffprobe must sit beside it). Fix the path, or unset it to use the system or the packaged ffmpeg.`,
    };
  }
  return (await attempt('system', ffmpegTools('ffmpeg'), tried)) ?? packagedFfmpeg(tried);
}

/** What /healthz says about ffmpeg (the shape of its `ffmpeg` field). */
export type { FfmpegReport };

/** The choice as /healthz and `argus doctor --json` give it. */
export function ffmpegReport(choice: FfmpegChoice): FfmpegReport {
  if (!choice.available) return { available: false, problem: `${describeFfmpeg(choice)}. ${choice.fix}` };
  return { available: true, source: choice.source, path: choice.tools.ffmpeg, version: choice.version, libavformat: choice.libavformat, package: choice.package };
}

/** One line for logs, `/healthz` and `argus doctor`: which ffmpeg, from where, which version. */
export function describeFfmpeg(choice: FfmpegChoice): string {
  if (!choice.available) return `no working ffmpeg (${choice.tried.join('; ')})`;
  const where = choice.source === 'system' ? 'ffmpeg on PATH' : choice.tools.ffmpeg;
  const lavf = choice.libavformat ? `, libavformat ${choice.libavformat}` : '';
  return `${choice.source} ffmpeg ${choice.version}${lavf} (${where})`;
}
