import fs from 'node:fs';
import path from 'node:path';

/**
 * The model as jobs and collections record it. A folder is made absolute, so workers
 * started in another directory find it and the collection names one model however it was
 * spelled; a hub id stays as it is.
 */
export function modelReference(model: string): string {
  const folder = path.resolve(model);
  return fs.existsSync(folder) ? folder : model;
}

/**
 * The embedding size a local model folder declares (`projection_dim` in config.json), so
 * a collection can be checked before any job runs; undefined for a hub id not on disk.
 */
export function declaredDimension(model: string): number | undefined {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8')) as {
      projection_dim?: unknown;
    };
    return typeof config.projection_dim === 'number' ? config.projection_dim : undefined;
  } catch {
    return undefined;
  }
}
