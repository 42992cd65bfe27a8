// deploy/kubernetes renders with `kubectl kustomize` (Debian's kubectl, installed when
// missing) and every object validates against the Kubernetes JSON schemas, offline (the
// schemas ship, compiled by ajv, in the kubernetes-models packages). Then what matters for
// running Vigil: probe paths and ports, the grace period against the shutdown settings of the
// vigil.yaml it mounts, the securityContext, resources, volumes, and the PostgreSQL overlay.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import type { VigilConfig } from '../../src/config/types.ts';
import { ensureDebianPackage } from '../support/debian.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KUSTOMIZATIONS = ['deploy/kubernetes', 'deploy/kubernetes/overlays/postgres', 'deploy/kubernetes/overlays/monitoring'] as const;

type K8sObject = { readonly apiVersion: string; readonly kind: string; readonly metadata: { readonly name: string } } & Record<string, unknown>;
/** A kubernetes-models class: its validate() runs the kind's ajv-compiled JSON schema and throws. */
type ModelClass = new (data: never) => { validate(): void };

/** The schema of every kind deploy/kubernetes may use; any other kind fails the test. */
const MODELS: Readonly<Record<string, () => Promise<ModelClass>>> = {
  'apps/v1 Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'v1 Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'v1 ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1 Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
  'policy/v1 PodDisruptionBudget': async () => (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  'monitoring.coreos.com/v1 ServiceMonitor': async () =>
    (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor')).ServiceMonitor,
};

function problemsOf(Model: ModelClass, object: unknown): string | undefined {
  try {
    new Model(object as never).validate();
    return undefined;
  } catch (error) {
    return error instanceof Error ? `${error.message} ${JSON.stringify((error as { details?: unknown }).details ?? '')}` : String(error);
  }
}

const rendered = new Map<string, readonly K8sObject[]>();
const dir = mkdtempSync(join(tmpdir(), 'vigil-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const kubectl = ensureDebianPackage('kubectl', 'kubectl');
  for (const path of KUSTOMIZATIONS) {
    const text = execFileSync(kubectl, ['kustomize', join(ROOT, path)], { encoding: 'utf8' });
    rendered.set(
      path,
      parseAllDocuments(text).map((doc) => doc.toJS() as K8sObject),
    );
  }
}, 120_000);

function objects(path: (typeof KUSTOMIZATIONS)[number]): readonly K8sObject[] {
  const found = rendered.get(path);
  if (!found) throw new Error(`${path} was not rendered`);
  return found;
}

function one<T = Record<string, unknown>>(path: (typeof KUSTOMIZATIONS)[number], kind: string): T {
  const matches = objects(path).filter((object) => object.kind === kind);
  expect(matches, `${path}: one ${kind}`).toHaveLength(1);
  return matches[0] as T;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML */
function vigilContainer(path: (typeof KUSTOMIZATIONS)[number]): any {
  const deployment = one<any>(path, 'Deployment');
  return deployment.spec.template.spec.containers.find((container: any) => container.name === 'vigil');
}

/** The vigil.yaml the Deployment mounts, loaded by Vigil's own loader (so it is valid too). */
function mountedConfig(path: (typeof KUSTOMIZATIONS)[number]): VigilConfig {
  const deployment = one<any>(path, 'Deployment');
  const configVolume = deployment.spec.template.spec.volumes.find((volume: any) => volume.name === 'config');
  const configMap = objects(path).find((object) => object.kind === 'ConfigMap' && object.metadata.name === configVolume.configMap.name) as any;
  expect(configMap, 'the config volume names a rendered ConfigMap').toBeDefined();
  const mount = vigilContainer(path).volumeMounts.find((m: any) => m.name === 'config');
  const env = Object.fromEntries(vigilContainer(path).env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
  expect(env.VIGIL_CONFIG).toBe(`${mount.mountPath}/vigil.yaml`);
  const file = join(dir, `${path.replaceAll('/', '-')}.yaml`);
  writeFileSync(file, configMap.data['vigil.yaml']);
  return loadConfig({ argv: ['--config', file], env: {} });
}

describe('deploy/kubernetes', () => {
  it.each(KUSTOMIZATIONS)('%s renders objects that each validate against the Kubernetes schemas', async (path) => {
    const all = objects(path);
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const object of all) {
      const key = `${object.apiVersion} ${object.kind}`;
      const load = MODELS[key];
      expect(load, `a schema for ${key}`).toBeDefined();
      expect(problemsOf(await load!(), object), `${path}: ${key} ${object.metadata.name}`).toBeUndefined();
    }
    // The schemas do reject a broken object (the check above can fail).
    const broken = structuredClone(one<any>(path, 'Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(problemsOf(await MODELS['apps/v1 Deployment']!(), broken)).toMatch(/containerPort/);
  });

  it('probes /livez (startup, liveness) and /readyz (readiness) on the port Vigil listens on', () => {
    const container = vigilContainer('deploy/kubernetes');
    const config = mountedConfig('deploy/kubernetes');
    const port = container.ports.find((p: any) => p.name === 'http');
    expect(port.containerPort).toBe(config.server.port);
    expect(config.server.host).toBe('0.0.0.0');
    expect(container.startupProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    // The Service sends traffic to the same named port.
    const service = one<any>('deploy/kubernetes', 'Service');
    expect(service.spec.ports.map((p: any) => p.targetPort)).toEqual(['http']);
    const deployment = one<any>('deploy/kubernetes', 'Deployment');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  it('gives the pod the shutdown delay and drain time plus a margin, and notices shutdown within the delay', () => {
    for (const path of KUSTOMIZATIONS) {
      const { server } = mountedConfig(path);
      const pod = one<any>(path, 'Deployment').spec.template.spec;
      const graceMs = pod.terminationGracePeriodSeconds * 1000;
      expect(graceMs).toBeGreaterThanOrEqual(server.shutdownDelayMs + server.shutdownGraceMs + 2_000);
      expect(server.shutdownDelayMs).toBeGreaterThan(0);
      // Readiness turns false before the listener closes: one failed probe within the delay.
      const readiness = vigilContainer(path).readinessProbe;
      expect(readiness.periodSeconds * readiness.failureThreshold * 1000).toBeLessThan(server.shutdownDelayMs);
      // A probe must not be cut by Vigil's own header deadline, nor outlast it.
      expect(readiness.timeoutSeconds * 1000).toBeLessThanOrEqual(server.headersTimeoutMs);
    }
  });

  it('runs non-root with a read-only root file system, no capabilities and the runtime seccomp profile', () => {
    for (const path of KUSTOMIZATIONS) {
      const pod = one<any>(path, 'Deployment').spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.securityContext.capabilities.add).toBeUndefined();
      }
    }
  });

  it('keeps the embedded store on a volume, sets requests and limits, and references secrets without holding any', () => {
    const container = vigilContainer('deploy/kubernetes');
    const pod = one<any>('deploy/kubernetes', 'Deployment').spec.template.spec;
    const config = mountedConfig('deploy/kubernetes');
    expect(config.store.url).toBeUndefined();
    const dataMount = container.volumeMounts.find((m: any) => m.mountPath === config.store.dataDir);
    expect(dataMount, 'store.data_dir is mounted').toBeDefined();
    expect(pod.volumes.find((v: any) => v.name === dataMount.name).emptyDir).toBeDefined();
    expect(container.volumeMounts.find((m: any) => m.mountPath === '/tmp')).toBeDefined();

    const { requests, limits } = container.resources;
    for (const key of ['cpu', 'memory']) {
      expect(requests[key], `requests.${key}`).toBeDefined();
      expect(limits[key], `limits.${key}`).toBeDefined();
    }
    const mebibytes = (value: string) => {
      const [, amount, unit] = /^(\d+)(Mi|Gi)$/.exec(value) ?? [];
      return Number(amount) * (unit === 'Gi' ? 1024 : 1);
    };
    for (const path of KUSTOMIZATIONS) {
      const resources = vigilContainer(path).resources;
      expect(mebibytes(resources.limits.memory), path).toBeGreaterThan(mebibytes(resources.requests.memory));
    }
    // The embedded store needs more than the PostgreSQL overlay (PGlite's memory, docs/kubernetes.md).
    expect(mebibytes(requests.memory)).toBeGreaterThan(mebibytes(vigilContainer('deploy/kubernetes/overlays/postgres').resources.requests.memory));

    expect(container.envFrom).toContainEqual({ secretRef: { name: 'vigil-secrets', optional: true } });
    for (const path of KUSTOMIZATIONS) expect(objects(path).filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('allows a drain to evict the single embedded-store replica', () => {
    const pdb = one<any>('deploy/kubernetes', 'PodDisruptionBudget');
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
    expect(pdb.spec.selector.matchLabels).toEqual(one<any>('deploy/kubernetes', 'Deployment').spec.selector.matchLabels);
  });

  it('runs two replicas on PostgreSQL with store.url from a Secret, one always available', () => {
    const path = 'deploy/kubernetes/overlays/postgres';
    const deployment = one<any>(path, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const container = vigilContainer(path);
    expect(container.env).toContainEqual({ name: 'VIGIL_STORE__URL', valueFrom: { secretKeyRef: { name: 'vigil-store', key: 'url' } } });
    expect(container.env.map((e: any) => e.name)).toContain('VIGIL_CONFIG');
    const pdb = one<any>(path, 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.maxUnavailable).toBeUndefined();
    expect(deployment.spec.template.spec.topologySpreadConstraints[0].labelSelector.matchLabels).toMatchObject({ 'app.kubernetes.io/name': 'vigil' });
  });

  it('offers a ServiceMonitor for /metrics on the Service port, only when asked', () => {
    expect(objects('deploy/kubernetes').some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    const monitor = one<any>('deploy/kubernetes/overlays/monitoring', 'ServiceMonitor');
    const service = one<any>('deploy/kubernetes/overlays/monitoring', 'Service');
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    expect(service.spec.ports.map((p: any) => p.name)).toContain('http');
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
  });
});
/* eslint-enable @typescript-eslint/no-explicit-any */
