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
