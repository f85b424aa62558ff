// An osbuild version-2 manifest as plain data: day0's build plan for disk images. Only the fields day0 writes
// are typed tightly; anything osbuild accepts may appear (validate.ts checks against osbuild's own schemas).

export interface Manifest {
  version: '2';
  pipelines: Pipeline[];
  sources?: Record<string, { items: Record<string, unknown>; options?: Record<string, unknown> }>;
  metadata?: { generators?: { name: string; version?: string }[]; exports?: { name: string }[] };
}

export interface Pipeline {
  name: string;
  /** `name:<pipeline>` whose tree is the buildroot; omitted = the host. */
  build?: string;
  runner?: string;
  stages: Stage[];
}

export interface Stage {
  type: string;
  options?: Record<string, unknown>;
  inputs?: Record<string, Input>;
  devices?: Record<string, Device>;
  mounts?: Mount[];
}

export interface Input {
  type: string;
  origin: 'org.osbuild.source' | 'org.osbuild.pipeline';
  references: string[] | Record<string, Record<string, unknown>> | { id: string; options?: Record<string, unknown> }[];
  options?: Record<string, unknown>;
}

export interface Device {
  type: string;
  parent?: string;
  options?: Record<string, unknown>;
}

export interface Mount {
  name: string;
  type: string;
  source?: string;
  target?: string;
  partition?: number;
  options?: Record<string, unknown>;
}

/** Loopback device options (org.osbuild.loopback): offsets and sizes in sectors of `sector-size` bytes. */
export interface LoopbackOptions {
  filename: string;
  start?: number;
  size?: number;
  'sector-size'?: number;
  lock?: boolean;
  partscan?: boolean;
  'read-only'?: boolean;
}
