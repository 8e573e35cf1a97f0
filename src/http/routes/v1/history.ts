import type { FastifyPluginAsync } from 'fastify';
import Type, { type Static } from 'typebox';
import type { HistoryService } from '../../../service/history.js';
import type { HistoryEntry, HistorySummary } from '../../../store/history.js';
import { ownerOf } from '../../plugins/auth.js';
import { errorResponses } from '../../schemas.js';

const ErrorBody = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) });

export const HistoryItem = Type.Object({
  id: Type.String({ description: "The result's id (an async job's id for jobs)." }),
  kind: Type.Enum(['sync', 'job'] as const),
  task: Type.String(),
  model: Type.String({ description: 'The model that answered.' }),
  status: Type.Enum(['succeeded', 'failed'] as const),
  labels: Type.Array(Type.String(), { description: 'Distinct labels in the result.' }),
  summary: Type.String({ description: 'One line: "4 person, 1 bus", or the error message.' }),
  error: Type.Optional(ErrorBody),
  text: Type.Optional(Type.String({ description: "The request's text input, if any." })),
  width: Type.Optional(Type.Integer({ description: 'Input image width after EXIF orientation (result coordinates are in this space).' })),
  height: Type.Optional(Type.Integer()),
  total_ms: Type.Optional(Type.Number()),
  result_omitted: Type.Boolean({ description: 'The result was too large to keep (over 1 MiB of JSON).' }),
  created_at: Type.String({ format: 'date-time' }),
  thumbnail_url: Type.Optional(Type.String({ description: 'JPEG, at most 200 px on its longer side.' })),
  preview_url: Type.Optional(Type.String({ description: 'JPEG, at most 640 px on its longer side, to draw the result over.' })),
  job_url: Type.Optional(Type.String({ description: 'GET it for the job record (jobs only).' })),
});

const HistoryDetail = Type.Object({
  ...HistoryItem.properties,
  params: Type.Optional(Type.Unknown({ description: 'The parameters the task ran with (defaults applied).' })),
  result: Type.Optional(Type.Unknown({ description: 'The result exactly as the API answered it.' })),
});

const ListQuery = Type.Object({
  task: Type.Optional(Type.String({ maxLength: 100 })),
  model: Type.Optional(Type.String({ maxLength: 100 })),
  label: Type.Optional(Type.String({ maxLength: 200 })),
  status: Type.Optional(Type.Enum(['succeeded', 'failed'] as const)),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Entries created at or after this time.' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Entries created before this time.' })),
  before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: "The previous page's `next`." })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
});

const ListResponse = Type.Object({
  items: Type.Array(HistoryItem),
  next: Type.Optional(Type.String({ description: 'Pass as `before` for the next (older) page.' })),
  facets: Type.Object({ tasks: Type.Array(Type.String()), models: Type.Array(Type.String()), labels: Type.Array(Type.String()) }, { description: 'Values present in the history, for filter menus.' }),
  recording: Type.Boolean({ description: 'false when ARGUS_HISTORY_SIZE is 0: nothing is recorded.' }),
});

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** An entry as the API shows it: ISO times and the URLs of its images. */
export function historyView(entry: HistorySummary | HistoryEntry) {
  const { has_thumbnail, has_preview, created_at, owner: _owner, ...rest } = entry;
  const base = `/v1/history/${encodeURIComponent(entry.id)}`;
  return {
    ...rest,
    created_at: new Date(created_at).toISOString(),
    thumbnail_url: has_thumbnail ? `${base}/thumbnail.jpg` : undefined,
    preview_url: has_preview ? `${base}/preview.jpg` : undefined,
    job_url: entry.kind === 'job' ? `/v1/jobs/${encodeURIComponent(entry.id)}` : undefined,
  };
}

const time = (iso?: string) => (iso === undefined ? undefined : Date.parse(iso));

/** The result history: GET /v1/history, GET|DELETE /v1/history/{id}, and each entry's images. */
export const historyRoutes: FastifyPluginAsync<{ history: HistoryService }> = async (app, { history }) => {
  app.get('/history', {
    schema: {
      tags: ['history'],
      summary: 'Recent results, newest first',
      description: 'Every finished request and async job (failed jobs too), with filters; the last ARGUS_HISTORY_SIZE are kept.',
      querystring: ListQuery,
      response: { 200: ListResponse, ...errorResponses },
    },
  }, async (request) => {
    const query = request.query as Static<typeof ListQuery>;
    const owner = ownerOf(request);
    const [page, facets] = await Promise.all([
      history.list({ ...query, since: time(query.since), until: time(query.until), owner }),
      history.facets(owner),
    ]);
    return { items: page.items.map(historyView), next: page.next, facets, recording: history.enabled };
  });

  app.get('/history/:id', {
    schema: { tags: ['history'], summary: 'One result, with its parameters and full result', params: IdParams, response: { 200: HistoryDetail, ...errorResponses } },
  }, async (request) => historyView(await history.get((request.params as { id: string }).id, ownerOf(request))));

  app.delete('/history/:id', {
    schema: { tags: ['history'], summary: 'Forget one result and its images', params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    await history.delete((request.params as { id: string }).id, ownerOf(request));
    return reply.status(204).send();
  });

  for (const which of ['thumbnail', 'preview'] as const) {
    app.get(`/history/:id/${which}.jpg`, {
      schema: {
        tags: ['history'],
        summary: which === 'thumbnail' ? "A result's list thumbnail (JPEG)" : "A result's preview image (JPEG)",
        params: IdParams,
        response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }), ...errorResponses },
      },
    }, async (request, reply) => {
      const bytes = await history.image((request.params as { id: string }).id, which, ownerOf(request));
      // An entry's images never change under its id; they only disappear with it.
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400, immutable').send(Buffer.from(bytes));
    });
  }
};
