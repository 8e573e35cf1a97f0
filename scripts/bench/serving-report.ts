/**
 * The serving section's report: Markdown for docs/benchmarks.md, a terminal summary, the targets
 * of issue 11 with PASS/MISS, and throughput vs concurrency as an SVG saved beside the report.
 */
import { fmt, markdownTable, pass, type Table } from './report.js';
import type { HttpRow, ModelResult, ServingResult } from './serving.js';
import type { LimitRun } from './limit.js';

export interface ServingTarget {
  name: string;
  measured: string;
  rule: string;
  pass: boolean | undefined;
  how: string;
}

const split = (r: LimitRun) => `${r.processes} × ${r.threads} thread${r.threads > 1 ? 's' : ''}${r.batch > 1 ? `, batch ${r.batch}` : ''}`;
const row = (m: ModelResult, c: number) => m.http.find((h) => h.connections === c);
const cpuSum = (c: object) => Object.values(c as Record<string, number>).reduce((a, b) => a + b, 0);

/**
 * Core-ms one image costs at the limit: with every core busy, `cores` seconds of CPU per second
 * buy `limit` images. Once the HTTP rows saturate the cores too, their ratio to the limit is at
 * most this over the CPU they spend per request.
 */
const limitCoreMs = (result: ServingResult, m: ModelResult) => (result.cores * 1000) / m.limit.best.imagesPerSec;

function cpuAccount(result: ServingResult, m: ModelResult, h: HttpRow): string {
  const c = h.cpuMsPerRequest;
  return `CPU per request ${fmt(cpuSum(c))} ms (workers ${fmt(c.workers)}, API ${fmt(c.api)}, load generator ${fmt(c.client)}) against ${fmt(limitCoreMs(result, m))} core-ms per image at the limit: ${fmt((limitCoreMs(result, m) / cpuSum(c)) * 100, 0)} % of the CPU went into what the limit measures`;
}

export function servingTargets(result: ServingResult): ServingTarget[] {
  const targets: ServingTarget[] = [];
  const yolo = result.models.find((m) => m.alias === 'yolov8n');
  if (yolo) {
    const c16 = row(yolo, 16);
    if (c16) {
      targets.push({
        name: 'yolov8n c=16 throughput ≥ 90% of the limit', measured: `${fmt(c16.ratioToLimit * 100)} %`, rule: '≥ 90 %', pass: c16.ratioToLimit >= 0.9,
        how: `${fmt(c16.load.requestsPerSec, 2)} req/s of ${fmt(yolo.limit.best.imagesPerSec, 2)} (${split(yolo.limit.best)}); ${cpuAccount(result, yolo, c16)}`,
      });
    }
    const c1 = row(yolo, 1);
    const raw = yolo.limit.latency.reduce((a, b) => (b.latencyMs.p50 < a.latencyMs.p50 ? b : a));
    if (c1) {
      const gap = c1.load.latencyMs.p50 - raw.latencyMs.p50;
      targets.push({
        name: 'yolov8n c=1 p50 ≤ raw + 10 ms', measured: `+${fmt(gap)} ms`, rule: '≤ +10 ms', pass: gap <= 10,
        how: `p50 ${fmt(c1.load.latencyMs.p50)} ms vs raw p50 ${fmt(raw.latencyMs.p50)} ms (${raw.threads} thread${raw.threads > 1 ? 's' : ''}); server decode ${fmt(c1.server.decode)} + pre ${fmt(c1.server.preprocess)} + post ${fmt(c1.server.postprocess)} ms`,
      });
      targets.push({
        name: 'API overhead per request (p50) < 2 ms', measured: `${fmt(c1.server.apiOverhead, 2)} ms`, rule: '< 2 ms', pass: c1.server.apiOverhead < 2,
        how: 'yolov8n c=1: total − (queue + decode + preprocess + inference + postprocess), median over responses',
      });
    }
  }
  if (result.peer && 'peer' in result.peer) {
    const { argus, peer } = result.peer;
    const ratio = argus.requestsPerSec / peer.requestsPerSec;
    targets.push({
      name: `resnet18 embed c=${result.peer.connections}: ≥ 2.5× the peer's req/s`, measured: `${fmt(ratio, 2)} ×`, rule: '≥ 2.5 ×', pass: ratio >= 2.5,
      how: `${fmt(argus.requestsPerSec, 1)} vs ${fmt(peer.requestsPerSec, 1)} req/s; CPU per request (server + load generator): Argus ${fmt(cpuSum(result.peer.cpuMsPerRequest.argus))} ms, peer ${fmt(cpuSum(result.peer.cpuMsPerRequest.peer))} ms`,
    });
    targets.push({
      name: `resnet18 embed c=${result.peer.connections}: lower p99 than the peer`, measured: `${fmt(argus.latencyMs.p99)} ms`, rule: `< ${fmt(peer.latencyMs.p99)} ms`, pass: argus.latencyMs.p99 < peer.latencyMs.p99,
      how: 'p99 over every 2xx response',
    });
  } else if (result.peer) {
    targets.push({ name: 'resnet18 embed vs the peer', measured: '–', rule: '≥ 2.5 ×', pass: undefined, how: `not measured: ${result.peer.unavailable}` });
  }
  if (result.batching) {
    const ratio = result.batching.on.requestsPerSec / result.batching.off.requestsPerSec;
    targets.push({
      name: `resnet18 embed c=${result.batching.connections}: batching ≥ 1.3× without`, measured: `${fmt(ratio, 2)} ×`, rule: '≥ 1.3 ×', pass: ratio >= 1.3,
      how: `${fmt(result.batching.on.requestsPerSec, 1)} req/s (maxBatch 8) vs ${fmt(result.batching.off.requestsPerSec, 1)} (maxBatch 1)`,
    });
  }
  const at64 = result.models.flatMap((m) => (row(m, 64) ? [{ alias: m.alias, r: row(m, 64)! }] : []));
  if (at64.length) {
    const bad = at64.filter(({ r }) => r.load.non2xx + r.load.errors + r.load.timeouts > 0);
    targets.push({
      name: 'no errors at c=64', measured: bad.length ? bad.map(({ alias, r }) => `${alias}: ${r.load.non2xx + r.load.errors + r.load.timeouts}`).join(', ') : '0', rule: '0', pass: bad.length === 0,
      how: `${at64.length} models, non-2xx + connection errors + timeouts`,
    });
  }
  if (result.overload) {
    const o = result.overload;
    const refused = Object.entries(o.load.statusCodes).filter(([code]) => code === '429' || code === '503').reduce((s, [, n]) => s + n, 0);
    const ok = refused > 0 && o.load.timeouts === 0 && o.retryAfter !== undefined;
    targets.push({
      name: 'overload answers 429/503 with Retry-After, no timeouts', measured: `${refused} refused, ${o.load.timeouts} timeouts`, rule: 'refusals, 0 timeouts', pass: ok,
      how: `yolov8n, queue depth ${o.maxQueueDepth}, ${o.connections} connections; a refusal: ${o.sampleStatus ?? '–'} with Retry-After ${o.retryAfter ?? 'absent'}`,
    });
  }
  return targets;
}

/** Requests/s ÷ limit against concurrency, one line per model, as an SVG. */
export function throughputSvg(result: ServingResult): string {
  const W = 640, H = 360, L = 60, R = 150, T = 30, B = 50;
  const cs = [...new Set(result.models.flatMap((m) => m.http.map((h) => h.connections)))].sort((a, b) => a - b);
  const maxY = Math.max(1.1, ...result.models.flatMap((m) => m.http.map((h) => h.ratioToLimit))) * 1.05;
  const x = (c: number) => L + (cs.length > 1 ? (cs.indexOf(c) / (cs.length - 1)) * (W - L - R) : 0);
  const y = (v: number) => T + (1 - v / maxY) * (H - T - B);
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18" font-size="14">Argus throughput ÷ hardware limit vs concurrency</text>`,
  ];
  for (let v = 0; v <= maxY; v += 0.2) parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v * 100)}%</text>`);
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(1)}" y2="${y(1)}" stroke="#888" stroke-dasharray="4 3"/>`);
  for (const c of cs) parts.push(`<text x="${x(c)}" y="${H - B + 18}" text-anchor="middle">${c}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">concurrent connections</text>`);
  result.models.forEach((m, i) => {
    const colour = colours[i % colours.length];
    const points = m.http.map((h) => `${x(h.connections).toFixed(1)},${y(h.ratioToLimit).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const h of m.http) parts.push(`<circle cx="${x(h.connections).toFixed(1)}" cy="${y(h.ratioToLimit).toFixed(1)}" r="3" fill="${colour}"/>`);
    parts.push(`<text x="${W - R + 10}" y="${T + 16 + i * 18}" fill="${colour}">${m.alias}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function limitTable(result: ServingResult): Table {
  return {
    headers: ['model', 'timed', 'p50 ms, 1 thread', 'p50 ms, 2 threads', '2 × 1 thread img/s', '1 × 2 threads img/s', 'best batch img/s', 'limit (best)', 'other CPU (most)'],
    rows: result.models.map((m) => {
      const t = (p: number, th: number, b = 1) => m.limit.throughput.find((r) => r.processes === p && r.threads === th && r.batch === b);
      const batched = m.limit.throughput.filter((r) => r.batch > 1).reduce<LimitRun | undefined>((a, b) => (!a || b.imagesPerSec > a.imagesPerSec ? b : a), undefined);
      return [
        m.alias, m.limit.best.kind,
        fmt(m.limit.latency.find((l) => l.threads === 1)!.latencyMs.p50), fmt(m.limit.latency.find((l) => l.threads === 2)!.latencyMs.p50),
        fmt(t(2, 1)?.imagesPerSec ?? NaN), fmt(t(1, 2)?.imagesPerSec ?? NaN),
        batched ? `${fmt(batched.imagesPerSec)} (${split(batched)})` : '–',
        `**${fmt(m.limit.best.imagesPerSec)}** (${split(m.limit.best)})`,
        fmt(Math.max(...[...m.limit.latency, ...m.limit.throughput].map((r) => r.otherCores ?? NaN)), 2),
      ];
    }),
  };
}

function httpTable(result: ServingResult): Table {
  return {
    headers: ['model', 'c', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'errors', 'timeouts', '÷ limit', 'queue p50', 'inference p50', 'API overhead p50', 'API CPU ms/req', 'workers CPU ms/req', 'other CPU'],
    rows: result.models.flatMap((m) => m.http.map((h) => [
      m.alias, h.connections, fmt(h.load.requestsPerSec, 2), fmt(h.load.latencyMs.p50), fmt(h.load.latencyMs.p95), fmt(h.load.latencyMs.p99),
      h.load.non2xx, h.load.errors, h.load.timeouts, `${fmt(h.ratioToLimit * 100, 0)} %`, fmt(h.server.queue), fmt(h.server.inference), fmt(h.server.apiOverhead, 2), fmt(h.cpuMsPerRequest.api), fmt(h.cpuMsPerRequest.workers), fmt(h.otherCores, 2),
    ])),
  };
}

function cpuTable(result: ServingResult): Table {
  return {
    headers: ['model', 'req/s', '÷ limit', 'workers ms', 'API ms', 'load generator ms', 'total ms', 'limit core-ms per image', 'share', 'decode + pre + post p50 ms'],
    rows: result.models.flatMap((m) => {
      const h = row(m, 16);
      if (!h) return [];
      const c = h.cpuMsPerRequest;
      return [[
        m.alias, fmt(h.load.requestsPerSec, 2), `${fmt(h.ratioToLimit * 100, 0)} %`, fmt(c.workers), fmt(c.api), fmt(c.client), fmt(cpuSum(c)),
        fmt(limitCoreMs(result, m)), `${fmt((limitCoreMs(result, m) / cpuSum(c)) * 100, 0)} %`, fmt(h.server.decode + h.server.preprocess + h.server.postprocess),
      ]];
    }),
  };
}

export function servingMarkdown(result: ServingResult, targets: ServingTarget[], settings: { durationS: number; rawDurationS: number; rawRuns: number; svg: string; date: string; commit: string }): string {
  const out: string[] = [
    '## Serving: the limit, Argus over HTTP, and the ratio',
    '',
    `Measured ${settings.date} at commit ${settings.commit}, one run of \`npm run bench\` (section \`serving\`); ${settings.durationS} s per HTTP phase, raw runs up to ${settings.rawRuns} or ${settings.rawDurationS} s. Load average at the start: ${result.loadAverageStart.join(', ')} on this 2-core machine, which other engineers' tests share: "other CPU" is the cores used by processes outside the benchmark while a row was measured; rows where it is above ~0.2 are pessimistic.`,
    '',
    '### The limit',
    '',
    'Each model loaded the way an Argus worker loads it (same runtime, session options and input tensor for the benchmark image), `session.run` timed alone in its own process; PP-OCRv4 is several models plus line finding, so its whole in-process runner is timed. Throughput: all processes flat out at once. The best split is the limit the HTTP rows are divided by.',
    '',
    markdownTable(limitTable(result)),
    '',
    '### Argus end to end over HTTP',
    '',
    'autocannon closed loop, multipart upload of the image, default configuration (two single-thread workers per model, dynamic batching on for resnet18-embed, history on). Latency percentiles from every 2xx response. "API overhead" = total − (queue + decode + preprocess + inference + postprocess) from the responses\' `timings`; "API CPU ms/req" = CPU time of the API process per answered request (multipart parsing, IPC, JSON, the history record); "workers CPU ms/req" = of its child processes (the model workers, and the nice-19 helper that makes history previews when they are looked at).',
    '',
    markdownTable(httpTable(result)),
    '',
    '#### Where the CPU goes at 16 connections',
    '',
    `With every core busy, throughput is the cores divided by the CPU one request costs. The limit pays only for \`session.run\`; an answered request also pays for its decode, preprocessing and postprocessing in the worker, for the HTTP process, and for the load generator on the same ${result.cores} cores. So once the cores are saturated, the ratio to the limit can be no higher than the share of the CPU per request that the limit measures. CPU from /proc for each group of processes over the phase, per answered request.`,
    '',
    markdownTable(cpuTable(result)),
    '',
    `![throughput ÷ limit vs concurrency](${settings.svg})`,
    '',
    `Memory: API process ${result.apiRssMb} MiB RSS after all phases; workers (MiB RSS each): ${result.models.map((m) => `${m.alias} ${m.workerRssMb.join(' + ') || '–'}`).join('; ')}.`,
    '',
    `Start-up: \`argus serve\` answered /healthz ${fmt(result.startup.healthyMs / 1000, 2)} s after spawn (from TypeScript sources via tsx) and its first yolov8n detection (cold model load included) ${fmt(result.startup.firstDetectionMs / 1000, 2)} s after spawn.`,
  ];
  if (result.sizes) {
    out.push('', '### Cost vs image size (yolov8n, bus.jpg resized, JPEG q90)', '', markdownTable({
      headers: ['image', 'bytes', 'c=1 req/s', 'c=1 p50 ms', 'server decode p50 ms', 'c=16 req/s', 'c=16 p99 ms', 'errors'],
      rows: result.sizes.map((s) => [s.size, s.bytes, fmt(s.c1.requestsPerSec, 2), fmt(s.c1.latencyMs.p50), fmt(s.decodeMs), fmt(s.c16.requestsPerSec, 2), fmt(s.c16.latencyMs.p99), s.c1.non2xx + s.c16.non2xx + s.c1.errors + s.c16.errors]),
    }));
  }
  if (result.peer) {
    out.push('', '### The peer: fastapi-resnet18 (PyTorch) beside /v1/embed', '');
    if ('peer' in result.peer) {
      const p = result.peer;
      out.push(`Same weights (resnet18, seed 0), same image (bus.jpg), ${p.connections} connections, ${settings.durationS} s each, one after the other; the peer runs with ${p.threads} PyTorch threads.`, '', markdownTable({
        headers: ['server', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'errors', 'server CPU ms/req', 'load generator CPU ms/req'],
        rows: ([['Argus POST /v1/embed', p.argus, p.cpuMsPerRequest.argus], ['peer POST /embed', p.peer, p.cpuMsPerRequest.peer]] as const).map(([name, l, cpu]) => [
          name, fmt(l.requestsPerSec, 1), fmt(l.latencyMs.p50), fmt(l.latencyMs.p95), fmt(l.latencyMs.p99), l.non2xx, l.errors, fmt(cpu.server), fmt(cpu.client),
        ]),
      }));
    } else {
      out.push(`Not measured: ${result.peer.unavailable}.`);
    }
  }
  if (result.batching) {
    const b = result.batching;
    out.push('', `### Dynamic batching (resnet18-embed, c=${b.connections})`, '', markdownTable({
      headers: ['batching', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
      rows: [['on (maxBatch 8, maxWaitMs 0: default)', b.on], ['off (maxBatch 1)', b.off]].map(([name, r]) => {
        const l = r as typeof b.on;
        return [name as string, fmt(l.requestsPerSec, 1), fmt(l.latencyMs.p50), fmt(l.latencyMs.p99), l.non2xx + l.errors];
      }),
    }), '', b.meanBatch === undefined ? 'Batch sizes: GET /metrics did not answer with argus_batch_size.' : `Mean requests per model run while batching was on (GET /metrics, argus_batch_size): ${fmt(b.meanBatch, 2)}.`);
  }
  const onOff = (title: string, text: string, names: [string, string], rows: NonNullable<ServingResult['history']>) => {
    out.push('', `### ${title} (yolov8n, c=${rows.connections})`, '', text, '', markdownTable({
      headers: ['', 'req/s', 'p50 ms', 'p99 ms', '÷ limit', 'API CPU ms/req', 'workers CPU ms/req', 'other CPU'],
      rows: ([[names[0], rows.on], [names[1], rows.off]] as const).map(([name, x]) => [
        name, fmt(x.load.requestsPerSec, 2), fmt(x.load.latencyMs.p50), fmt(x.load.latencyMs.p99), `${fmt(x.ratioToLimit * 100, 0)} %`, fmt(x.cpuMsPerRequest.api), fmt(x.cpuMsPerRequest.workers), fmt(x.otherCores, 2),
      ]),
    }));
  };
  if (result.history) {
    onOff('What the result history costs', 'The history (dashboard) records every result: the request queues it, and entries are written every 100 ms in one transaction with the uploads\' bytes (one file per batch). Its preview and thumbnail are made the first time someone looks at the entry, by a helper process at nice 19, so the benchmark (which looks at none) pays for the record alone.', ['history on (historySize 200, default)', 'history off (historySize 0)'], result.history);
  }
  if (result.overlap) {
    const o = result.overlap;
    out.push('', `### Overlapping decode with inference (yolov8n, c=${o.connections}, history off)`, '', 'With overlap on, the session runs on a thread of its own (onnxruntime-node\'s `run` otherwise holds the worker\'s only JavaScript thread) and a busy worker is handed the next request, which it decodes while the current one computes. It pays where a core is free for the decode: one worker on two cores here, or a GPU. Where workers × threads fill the cores (the default placement), the decode only takes CPU from the other worker\'s inference, so it is off by default there. Each combination on a fresh server.', '', markdownTable({
      headers: ['workers', 'overlap', 'req/s', 'p50 ms', 'p99 ms', 'decode p50', 'inference p50', 'API overhead p50', 'other CPU'],
      rows: o.rows.map(({ workers, overlap, row }) => [
        String(workers), overlap ? 'on' : 'off', fmt(row.load.requestsPerSec, 2), fmt(row.load.latencyMs.p50), fmt(row.load.latencyMs.p99),
        fmt(row.server.decode), fmt(row.server.inference), fmt(row.server.apiOverhead), fmt(row.otherCores, 2),
      ]),
    }));
  }
  if (result.overload) {
    const o = result.overload;
    out.push('', `### Overload (yolov8n, queue depth ${o.maxQueueDepth}, ${o.connections} connections)`, '', `Status codes: ${Object.entries(o.load.statusCodes).map(([c, n]) => `${c} × ${n}`).join(', ')}; timeouts ${o.load.timeouts}; connection errors ${o.load.errors}. A refused request: ${o.sampleStatus ?? '–'} with \`Retry-After: ${o.retryAfter ?? 'absent'}\`.`);
  }
  out.push('', '### Targets (issue 11)', '', markdownTable({
    headers: ['target', 'measured', 'rule', 'result', 'how'],
    rows: targets.map((t) => [t.name, t.measured, t.rule, t.pass === undefined ? 'n/a' : pass(t.pass), t.how]),
  }));
  return out.join('\n');
}

export function servingText(result: ServingResult, targets: ServingTarget[]): string {
  const lines = ['', 'Serving', ...result.models.map((m) => `${m.alias}: limit ${fmt(m.limit.best.imagesPerSec)} img/s (${split(m.limit.best)}); ${m.http.map((h) => `c=${h.connections} ${fmt(h.load.requestsPerSec, 1)} req/s p50 ${fmt(h.load.latencyMs.p50)} ms (${fmt(h.ratioToLimit * 100, 0)} %)`).join(', ')}`)];
  for (const t of targets) lines.push(`${t.pass === undefined ? 'n/a ' : pass(t.pass)} ${t.name}: ${t.measured} (${t.rule}) — ${t.how}`);
  return `${lines.join('\n')}\n`;
}
