import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import { ConfigError, ModelError } from '../core/errors.js';
import type { Dtype } from '../core/types.js';

/** A Hugging Face repo id: `name` or `owner/name`, letters, digits, `_`, `-` and `.`. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** The files of a CLIP model folder, as error messages describe them. */
const FOLDER_LAYOUT =
  'config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json, onnx/*.onnx';

/** Where a model's files are, or would be once downloaded. */
export interface ModelSource {
  /** What the user asked for: a hub id or a folder path. */
  model: string;
  /** The absolute folder holding (or about to hold) the files. */
  folder: string;
  /** The hub id when `model` is one; its folder is then inside the model cache. */
  hubId?: string;
  /** The cache folder hub models are kept in. */
  cacheDir: string;
}

/** The file name suffix transformers.js uses for each dtype. */
export function dtypeSuffix(dtype: Dtype): string {
  return dtype === 'q8' ? '_quantized' : '';
}

/** What the vision tower needs: enough to index images. */
export function visionFiles(dtype: Dtype): string[] {
  return ['config.json', 'preprocessor_config.json', `onnx/vision_model${dtypeSuffix(dtype)}.onnx`];
}

/** What the text tower needs in addition, for searching by text. */
export function textFiles(dtype: Dtype): string[] {
  return ['tokenizer.json', 'tokenizer_config.json', `onnx/text_model${dtypeSuffix(dtype)}.onnx`];
}

/** `IDX_MODEL_CACHE` when set, else `~/.cache/idx/models`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.IDX_MODEL_CACHE?.trim();

  return fromEnv ? resolve(fromEnv) : join(homedir(), '.cache', 'idx', 'models');
}

/**
 * Decides whether `model` is a folder or a hub id. An existing folder always wins, so a
 * folder that happens to be named like `org/name` is used as it is. A hub id maps to
 * `<cacheDir>/<owner>/<name>`, where transformers.js also stores downloads.
 */
export function resolveModelSource(
  model: string,
  cacheDir: string,
  cwd = process.cwd(),
): ModelSource {
  const trimmed = model.trim();
  if (trimmed === '') {
    throw new ConfigError('model must be a Hugging Face model id or a folder path (got "")');
  }

  const asPath = resolve(cwd, trimmed);
  const source: ModelSource = { model: trimmed, folder: asPath, cacheDir: resolve(cwd, cacheDir) };

  if (isDirectory(asPath) || !looksLikeHubId(trimmed)) {
    return source;
  }

  return { ...source, folder: join(source.cacheDir, ...trimmed.split('/')), hubId: trimmed };
}

/** The entries of `files` that are not regular files under `folder`. */
export function findMissingFiles(folder: string, files: string[]): string[] {
  return files.filter((file) => {
    const path = join(folder, file);
    return !existsSync(path) || !statSync(path).isFile();
  });
}

/**
 * The error for a model whose files are not all there, worded for the case at hand: a hub
 * id that may not be downloaded, a folder that does not exist, or one that is incomplete.
 */
export function missingFilesError(source: ModelSource, missing: string[]): ModelError {
  const list = missing.join(', ');

  if (source.hubId !== undefined) {
    return new ModelError(
      [
        `Model "${source.hubId}" is not a folder and is not in the model cache:`,
        `looked in ${source.folder} and did not find ${list}; downloading is off.`,
        `Fix: pass --model <folder> with a CLIP-format model folder (${FOLDER_LAYOUT}),`,
        'or run once with --allow-download on a machine that can reach the Hugging Face hub',
        `(it caches into ${source.cacheDir}; set IDX_MODEL_CACHE to change that).`,
      ].join(' '),
    );
  }

  if (!isDirectory(source.folder)) {
    return new ModelError(
      [
        `Model folder not found: ${source.folder} (from "${source.model}").`,
        `Pass --model <folder> with a CLIP-format model folder (${FOLDER_LAYOUT}),`,
        'or a Hugging Face model id such as Xenova/clip-vit-base-patch32.',
      ].join(' '),
    );
  }

  return new ModelError(
    [
      `Model folder ${source.folder} is missing ${list}.`,
      `A CLIP-format folder holds ${FOLDER_LAYOUT};`,
      'dtype q8 reads the *_quantized.onnx files.',
    ].join(' '),
  );
}

function looksLikeHubId(model: string): boolean {
  return !isAbsolute(model) && !model.includes('..') && HUB_ID.test(model);
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
