/**
 * The import rules of docs/architecture.md ("Layers as built"), checked by `npm run lint:imports`.
 * Each rule names a layer and what it must not reach; the comment says why.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const layer = (name) => `^src/${name}(/|\\.ts$)`;
const anyOf = (...names) => `^src/(${names.join('|')})(/|\\.ts$)`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle, type-only ones included, means two modules are one; merge them or extract what both need.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'kernel-is-a-leaf',
      severity: 'error',
      comment: 'errors, processes, numbers and child-module are shared by every layer, so they import none.',
      from: { path: anyOf('errors', 'processes', 'numbers', 'child-module') },
      to: { path: '^src/' },
    },
    {
      name: 'vision-knows-pixels-only',
      severity: 'error',
      comment: 'vision/ is image and geometry code: decode, resize, NMS, homography, drawing.',
      from: { path: layer('vision') },
      to: { path: '^src/', pathNot: [layer('vision'), anyOf('errors', 'numbers')] },
    },
    {
      name: 'runtimes-know-nothing-about-tasks',
      severity: 'error',
      comment: 'A runtime loads and runs a model (DESIGN: "nothing about tasks").',
      from: { path: layer('runtimes') },
      to: { path: '^src/', pathNot: [layer('runtimes'), anyOf('errors', 'numbers', 'child-module', 'processes')] },
    },
    {
      name: 'tasks-compute-only',
      severity: 'error',
      comment: 'Tasks know images and tensors, and runtimes only by their types (DESIGN).',
      from: { path: layer('tasks') },
      to: { path: '^src/', pathNot: [layer('tasks'), layer('vision'), layer('runtimes'), anyOf('errors', 'numbers')] },
    },
    {
      name: 'tasks-use-runtime-types-only',
      severity: 'error',
      comment: 'A task receives a loaded session; which runtime made it is the worker\'s business. It tells kinds apart with '
        + 'the guards in runtimes/sessions.ts; upstream families speak their wire protocol through the upstream clients.',
      from: { path: layer('tasks') },
      to: { path: layer('runtimes'), pathNot: '^src/runtimes/(types|sessions|upstream|hf-inference)\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'models-are-a-catalogue',
      severity: 'error',
      comment: 'models/ reads manifests and fetches files; it runs nothing.',
      from: { path: layer('models') },
      to: { path: '^src/', pathNot: [layer('models'), layer('config'), anyOf('errors', 'numbers', 'processes'), '^src/tasks/(names|params/)'] },
    },
    {
      name: 'store-stores',
      severity: 'error',
      comment: 'Stores persist records; they decide nothing.',
      from: { path: layer('store') },
      to: { path: '^src/', pathNot: [layer('store'), layer('config'), anyOf('errors', 'numbers', 'processes')] },
    },
    {
      name: 'workers-host-models',
      severity: 'error',
      comment: 'Workers host models: they reach down (models, runtimes, tasks, vision), and up only to the dispatch contract they implement.',
      from: { path: layer('workers') },
      to: { path: '^src/', pathNot: [layer('workers'), layer('models'), layer('runtimes'), layer('tasks'), layer('vision'), layer('config'), '^src/dispatch/types\\.ts$', anyOf('errors', 'numbers', 'processes', 'child-module')] },
    },
    {
      name: 'dispatchers-route-requests',
      severity: 'error',
      comment: 'Dispatchers carry a prepared request to where it is computed; the service above them decides.',
      from: { path: layer('dispatch') },
      to: { path: anyOf('service', 'features', 'http', 'app', 'cli', 'jobs', 'store') },
    },
    {
      name: 'jobs-queue-only',
      severity: 'error',
      comment: 'Queues carry jobs and requests; they do not decide or shape.',
      from: { path: layer('jobs') },
      to: { path: anyOf('service', 'features', 'http', 'app', 'cli', 'workers', 'runtimes') },
    },
    {
      name: 'service-below-features',
      severity: 'error',
      comment: 'The inference façade is what composite features build on, never the reverse.',
      from: { path: layer('service') },
      to: { path: anyOf('features', 'http', 'app', 'cli', 'workers', 'runtimes') },
    },
    {
      name: 'service-uses-task-leaves',
      severity: 'error',
      comment: 'The service validates params and probes headers; it reaches tasks through the table, their param schemas and types.',
      from: { path: layer('service') },
      to: { path: layer('tasks'), pathNot: '^src/tasks/(table|types|names|params/)' },
    },
    {
      name: 'features-compose-the-service',
      severity: 'error',
      comment: 'Composite features call the inference service; they never run models themselves.',
      from: { path: layer('features') },
      to: { path: anyOf('http', 'app', 'cli', 'workers', 'runtimes') },
    },
    {
      name: 'routes-shape-only',
      severity: 'error',
      comment: 'Routes know HTTP and shapes (DESIGN): they call the service and features, and read schemas and types.',
      from: { path: layer('http') },
      to: {
        path: anyOf('app', 'cli', 'workers', 'runtimes', 'jobs', 'dispatch', 'store', 'models', 'vision', 'tasks'),
        // A route validates with its task's parameter schema: leaf files, no pipeline behind them.
        pathNot: '^src/tasks/(params/|names\\.ts$)',
        dependencyTypesNot: ['type-only'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.(test|conformance)\\.ts$|\\.conformance\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
