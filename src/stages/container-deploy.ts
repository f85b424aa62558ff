// org.osbuild.container-deploy: the pipeline's tree is a container image's root filesystem. day0 does not copy
// it: the image was pulled and unpacked by image intake (read-only shared cache), or it is the builder image
// itself (the buildroot every other stage already runs in). run-manifest maps such pipelines to those trees.
import type { Stage } from '../manifest/types.js';
import { Day0Error } from '../util/errors.js';
import type { StageEnv } from './types.js';

/** Image ids a container-deploy stage names. */
export function containerIds(stage: Stage): string[] {
  const images = stage.inputs?.images;
  if (!images) return [];
  const refs = images.references;
  if (Array.isArray(refs)) return refs.map((r) => (typeof r === 'string' ? r : r.id));
  return Object.keys(refs);
}

export async function run(stage: Stage, env: StageEnv): Promise<void> {
  throw new Day0Error(`${stage.type} must be the only stage of its pipeline for day0's executor (pipeline ${env.pipeline})`, {
    fix: 'deploy the container in a pipeline of its own and use it as a tree input, or run with --engine osbuild',
  });
}
