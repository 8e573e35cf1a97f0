import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './helpers.js';

/**
 * The Kubernetes recipe's manifests (deploy/kubernetes), checked against the API's JSON schemas
 * offline (kubernetes-models, @kubernetes-models/keda and /prometheus-operator validate with the
 * schemas generated from the Kubernetes OpenAPI and the CRDs). No cluster runs here: this proves
 * the shape, not that a cluster accepts and runs them (see docs/kubernetes.md).
 */
const DIR = join(REPO_ROOT, 'deploy/kubernetes');

type Validator = { validate(): void };
const MODELS: Record<string, new (data: never) => Validator> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

function documents(): Array<{ file: string; doc: { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown> } }> {
  return readdirSync(DIR).filter((f) => f.endsWith('.yaml')).flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => ({ file, doc: d.toJSON() })));
}

function validate(doc: { apiVersion: string; kind: string }): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc as never).validate();
}

describe('deploy/kubernetes manifests', () => {
  it('every document validates against its Kubernetes (or CRD) schema', () => {
    const docs = documents();
    expect(docs.length).toBeGreaterThanOrEqual(8);
    for (const { file, doc } of docs) expect(() => validate(doc), `${file}: ${doc.kind} ${doc.metadata.name}`).not.toThrow();
  });

  it('the validator does catch a wrong manifest', () => {
    const deployment = documents().find((d) => d.doc.kind === 'Deployment')!.doc as unknown as { spec: { replicas: unknown } };
    expect(() => validate({ ...deployment, spec: { ...deployment.spec, replicas: 'two' } } as never)).toThrow();
  });

  it('each autoscaler targets a Deployment that exists, and KEDA reads the metrics Argus serves', () => {
    const docs = documents().map((d) => d.doc) as Array<{ kind: string; metadata: { name: string }; spec: Record<string, unknown> }>;
    const deployments = new Set(docs.filter((d) => d.kind === 'Deployment').map((d) => d.metadata.name));
    for (const d of docs.filter((x) => x.kind === 'ScaledObject' || x.kind === 'HorizontalPodAutoscaler')) {
      expect(deployments.has((d.spec.scaleTargetRef as { name: string }).name)).toBe(true);
    }
    const queries = docs.filter((d) => d.kind === 'ScaledObject').flatMap((d) => (d.spec.triggers as Array<{ metadata: { query: string } }>).map((t) => t.metadata.query));
    expect(queries.join(' ')).toMatch(/argus_queue_waiting/);
    expect(queries.join(' ')).toMatch(/argus_queue_oldest_waiting_seconds/);
  });
});
