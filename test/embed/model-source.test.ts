import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/core/errors.js';
import {
  defaultCacheDir,
  findMissingFiles,
  missingFilesError,
  resolveModelSource,
  textFiles,
  visionFiles,
} from '../../src/embed/model-source.js';

describe('resolveModelSource', () => {
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'idx-source-'));
    await mkdir(join(workDir, 'org', 'name'), { recursive: true });
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('maps a hub id into the cache folder', () => {
    const source = resolveModelSource('Xenova/clip-vit-base-patch32', '/cache', workDir);

    expect(source).toEqual({
      model: 'Xenova/clip-vit-base-patch32',
      hubId: 'Xenova/clip-vit-base-patch32',
      folder: '/cache/Xenova/clip-vit-base-patch32',
      cacheDir: '/cache',
    });
  });

  it('prefers an existing folder over a hub id of the same name', () => {
    const source = resolveModelSource('org/name', '/cache', workDir);

    expect(source.hubId).toBeUndefined();
    expect(source.folder).toBe(join(workDir, 'org', 'name'));
  });

  it('treats paths that cannot be hub ids as folders', () => {
    for (const model of ['./tiny', '../models/tiny', '/abs/tiny', 'a/b/c']) {
      const source = resolveModelSource(model, '/cache', workDir);

      expect(source.folder).toBe(resolve(workDir, model));
      expect(source.hubId).toBeUndefined();
    }
  });

  it('rejects an empty model', () => {
    expect(() => resolveModelSource('  ', '/cache', workDir)).toThrow(ConfigError);
  });
});

describe('model files', () => {
  it('names the files for each dtype', () => {
    expect(visionFiles('fp32')).toContain('onnx/vision_model.onnx');
    expect(visionFiles('q8')).toContain('onnx/vision_model_quantized.onnx');
    expect(textFiles('q8')).toEqual([
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/text_model_quantized.onnx',
    ]);
  });

  it('finds which are missing', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'idx-files-'));
    await writeFile(join(folder, 'config.json'), '{}');

    expect(findMissingFiles(folder, visionFiles('fp32'))).toEqual([
      'preprocessor_config.json',
      'onnx/vision_model.onnx',
    ]);
    await rm(folder, { recursive: true, force: true });
  });

  it('words the error for a folder that exists but is incomplete', () => {
    const error = missingFilesError({ model: '.', folder: tmpdir(), cacheDir: '/c' }, ['x.onnx']);

    expect(error.message).toContain(`Model folder ${tmpdir()} is missing x.onnx`);
  });
});

describe('defaultCacheDir', () => {
  it('uses IDX_MODEL_CACHE when set', () => {
    expect(defaultCacheDir({ IDX_MODEL_CACHE: '/srv/models' })).toBe('/srv/models');
  });

  it('falls back to ~/.cache/idx/models', () => {
    expect(defaultCacheDir({})).toBe(join(homedir(), '.cache', 'idx', 'models'));
  });
});
