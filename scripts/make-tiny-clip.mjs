#!/usr/bin/env node
/**
 * Writes a tiny, random-weight model in the CLIP folder format that transformers.js loads
 * with the same classes as openai/clip-vit-base-patch32 (CLIPVisionModelWithProjection,
 * CLIPTextModelWithProjection, AutoTokenizer). Tests use it so that the real loading path
 * runs without the 600 MB model and without the network.
 *
 * Usage: node scripts/make-tiny-clip.mjs <outDir> [--seed N]
 *
 * The weights come from a seeded PRNG drawn in a fixed order, so reruns with the same seed
 * give byte-identical files. The only dependency is onnx-proto.
 *
 * Vision tower: several conv patch embeddings at different scales whose outputs keep a small
 * spatial grid (no global pooling), flattened and projected to 512 values. Layout and colour
 * therefore both move the embedding: different photos differ clearly and a rotated photo is
 * not mistaken for the upright one, which is what the preprocessing tests rely on.
 *
 * Text tower: token embedding table, mean over the tokens the attention mask keeps, then a
 * projection. The masked mean makes padding irrelevant, as EOS pooling is in real CLIP.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';

import {
  FLOAT,
  INT64,
  INT8,
  encodeModel,
  graphBuilder,
  int,
  ints,
  mulberry32,
  valueInfo,
} from './onnx-helpers.mjs';
import { END_TOKEN, START_TOKEN, buildTokenizer } from './tiny-clip-tokenizer.mjs';

const DEFAULT_SEED = 1234;
const EMBED_DIM = 512;
const IMAGE_SIZE = 224;
const OPSET = 14;

function main() {
  const { outDir, seed } = parseArgs(process.argv.slice(2));

  const random = createRandom(seed);
  const tokenizer = buildTokenizer();

  // Draw order is fixed: vision weights first, then text weights. Both dtypes of a tower
  // are built from the same draws so that q8 is a quantised copy of fp32.
  const visionWeights = drawVisionWeights(random);
  const textWeights = drawTextWeights(random, tokenizer.vocabSize);

  mkdirSync(join(outDir, 'onnx'), { recursive: true });

  writeModel(outDir, 'vision_model.onnx', buildVisionGraph(visionWeights, false), seed);
  writeModel(outDir, 'vision_model_quantized.onnx', buildVisionGraph(visionWeights, true), seed);
  writeModel(outDir, 'text_model.onnx', buildTextGraph(textWeights, false), seed);
  writeModel(outDir, 'text_model_quantized.onnx', buildTextGraph(textWeights, true), seed);

  writeJson(outDir, 'config.json', buildConfig(tokenizer));
  writeJson(outDir, 'preprocessor_config.json', buildPreprocessorConfig());
  writeJson(outDir, 'tokenizer.json', tokenizer.json);
  writeJson(outDir, 'tokenizer_config.json', buildTokenizerConfig());
  writeJson(outDir, 'special_tokens_map.json', buildSpecialTokensMap());

  console.log(`tiny CLIP (seed ${seed}) written to ${outDir}`);
}

function parseArgs(args) {
  let parsed;

  try {
    parsed = parseCommandLine({
      args,
      allowPositionals: true,
      options: { seed: { type: 'string' } },
    });
  } catch (err) {
    fail(err.message);
  }

  const [outDir, ...extra] = parsed.positionals;
  const seed = parsed.values.seed === undefined ? DEFAULT_SEED : Number(parsed.values.seed);

  if (outDir === undefined || extra.length > 0) {
    fail('expected exactly one <outDir>');
  }

  if (!Number.isSafeInteger(seed) || seed < 0) {
    fail('--seed must be a non-negative integer');
  }

  return { outDir, seed };
}

function fail(message) {
  console.error(`make-tiny-clip: ${message}`);
  console.error('usage: node scripts/make-tiny-clip.mjs <outDir> [--seed N]');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------
// Random weights

/** mulberry32 for uniforms and Box-Muller for normals: small, fast and the same everywhere. */
function createRandom(seed) {
  const uniform = mulberry32(seed);

  function normal() {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    return radius * Math.cos(2 * Math.PI * uniform());
  }

  /** `count` normals scaled by `scale`; with `zeroSumGroups`, each group sums to zero. */
  function normals(count, scale, zeroSumGroups = 0) {
    const values = new Float32Array(count);

    for (let index = 0; index < count; index += 1) {
      values[index] = normal() * scale;
    }

    if (zeroSumGroups > 0) {
      removeGroupMeans(values, zeroSumGroups);
    }

    return values;
  }

  return { normals };
}

/**
 * Makes each filter blind to a flat patch. Without this, the large uniform backgrounds of
 * product photos dominate every filter and all photos look alike to the model.
 */
function removeGroupMeans(values, groups) {
  const size = values.length / groups;

  for (let group = 0; group < groups; group += 1) {
    const slice = values.subarray(group * size, (group + 1) * size);
    const mean = slice.reduce((sum, value) => sum + value, 0) / size;

    slice.forEach((value, index) => {
      slice[index] = value - mean;
    });
  }
}

// ---------------------------------------------------------------------------------------
// Vision tower

/**
 * The branches, all reading the normalised [batch,3,224,224] pixels:
 * - detail: 8x8 patches of the full image (28x28 map), pooled by 7 to a 4x4 grid of
 *   texture energy (abs), zero-sum filters;
 * - patch: 16x16 patches (taken as 4x4 on a 56x56 thumbnail), 14x14 map pooled to 7x7,
 *   zero-sum filters, so shape and layout at mid scale;
 * - colour: 56x56-pixel patches (14x14 on the thumbnail), a 4x4 grid that keeps colour.
 */
const VISION_BRANCHES = [
  { name: 'detail', source: 'pixel_values', filters: 8, kernel: 8, pool: 7, abs: true },
  { name: 'patch', source: 'thumbnail', filters: 12, kernel: 4, pool: 2, zeroSum: true },
  { name: 'colour', source: 'thumbnail', filters: 16, kernel: 14, pool: 1 },
];
const THUMBNAIL_FACTOR = 4;
const VISION_HIDDEN = 64;

function branchGrid(branch) {
  const inputSize = branch.source === 'thumbnail' ? IMAGE_SIZE / THUMBNAIL_FACTOR : IMAGE_SIZE;
  return Math.floor(Math.floor(inputSize / branch.kernel) / branch.pool);
}

function branchFeatures(branch) {
  return branch.filters * branchGrid(branch) ** 2;
}

function drawVisionWeights(random) {
  const branches = VISION_BRANCHES.map((branch) => {
    const fanIn = 3 * branch.kernel * branch.kernel;
    const zeroSumGroups = branch.zeroSum || branch.abs ? branch.filters : 0;

    return {
      ...branch,
      weight: random.normals(branch.filters * fanIn, 1 / Math.sqrt(fanIn), zeroSumGroups),
      bias: random.normals(branch.filters, 0.1),
    };
  });

  const features = VISION_BRANCHES.reduce((sum, branch) => sum + branchFeatures(branch), 0);

  return {
    branches,
    features,
    hidden: random.normals(features * VISION_HIDDEN, 2 / Math.sqrt(features)),
    hiddenBias: random.normals(VISION_HIDDEN, 0.1),
    projection: random.normals(VISION_HIDDEN * EMBED_DIM, 1 / Math.sqrt(VISION_HIDDEN)),
    projectionBias: random.normals(EMBED_DIM, 0.05),
  };
}

function buildVisionGraph(weights, quantize) {
  const graph = createGraph(quantize);

  graph.node('AveragePool', ['pixel_values'], ['thumbnail'], {
    kernel_shape: ints([THUMBNAIL_FACTOR, THUMBNAIL_FACTOR]),
    strides: ints([THUMBNAIL_FACTOR, THUMBNAIL_FACTOR]),
  });

  const flattened = weights.branches.map((branch) => addVisionBranch(graph, branch));

  graph.node('Concat', flattened, ['features'], { axis: int(1) });

  const hidden = graph.weight('hidden', [weights.features, VISION_HIDDEN], weights.hidden);
  graph.bias('hidden_bias', [VISION_HIDDEN], weights.hiddenBias);
  graph.node('MatMul', ['features', hidden], ['hidden_linear']);
  graph.node('Add', ['hidden_linear', 'hidden_bias'], ['hidden_biased']);
  graph.node('Tanh', ['hidden_biased'], ['hidden_state']);

  const projection = graph.weight('projection', [VISION_HIDDEN, EMBED_DIM], weights.projection);
  graph.bias('projection_bias', [EMBED_DIM], weights.projectionBias);
  graph.node('MatMul', ['hidden_state', projection], ['projected']);
  graph.node('Add', ['projected', 'projection_bias'], ['image_embeds']);

  return graph.finish(
    'tiny_clip_vision',
    [valueInfo('pixel_values', FLOAT, ['batch_size', 3, IMAGE_SIZE, IMAGE_SIZE])],
    [valueInfo('image_embeds', FLOAT, ['batch_size', EMBED_DIM])],
  );
}

/** Conv patch embedding, tanh (or abs), average pool to a small grid, flatten. */
function addVisionBranch(graph, branch) {
  const prefix = branch.name;
  const kernel = [branch.kernel, branch.kernel];
  const weight = graph.weight(`${prefix}_weight`, [branch.filters, 3, ...kernel], branch.weight);

  graph.bias(`${prefix}_bias`, [branch.filters], branch.bias);
  graph.node('Conv', [branch.source, weight, `${prefix}_bias`], [`${prefix}_conv`], {
    kernel_shape: ints(kernel),
    strides: ints(kernel),
  });
  graph.node(branch.abs ? 'Abs' : 'Tanh', [`${prefix}_conv`], [`${prefix}_active`]);

  let pooled = `${prefix}_active`;
  if (branch.pool > 1) {
    pooled = `${prefix}_pooled`;
    graph.node('AveragePool', [`${prefix}_active`], [pooled], {
      kernel_shape: ints([branch.pool, branch.pool]),
      strides: ints([branch.pool, branch.pool]),
    });
  }

  graph.node('Flatten', [pooled], [`${prefix}_flat`], { axis: int(1) });

  return `${prefix}_flat`;
}

// ---------------------------------------------------------------------------------------
// Text tower

const TEXT_HIDDEN = 64;

function drawTextWeights(random, vocabSize) {
  return {
    vocabSize,
    tokens: random.normals(vocabSize * TEXT_HIDDEN, 1),
    projection: random.normals(TEXT_HIDDEN * EMBED_DIM, 1 / Math.sqrt(TEXT_HIDDEN)),
    projectionBias: random.normals(EMBED_DIM, 0.05),
  };
}

function buildTextGraph(weights, quantize) {
  const graph = createGraph(quantize);

  const table = graph.weight('token_embedding', [weights.vocabSize, TEXT_HIDDEN], weights.tokens);
  graph.node('Gather', [table, 'input_ids'], ['token_states'], { axis: int(0) });

  // Masked mean over the sequence: sum(states * mask) / max(sum(mask), tiny).
  graph.constant('axis_sequence', INT64, [1], BigInt64Array.of(1n));
  graph.constant('axis_hidden', INT64, [1], BigInt64Array.of(2n));
  graph.constant('tiny', FLOAT, [], Float32Array.of(1e-6));
  graph.node('Cast', ['attention_mask'], ['mask'], { to: int(FLOAT) });
  graph.node('Unsqueeze', ['mask', 'axis_hidden'], ['mask_3d']);
  graph.node('Mul', ['token_states', 'mask_3d'], ['masked_states']);
  graph.node('ReduceSum', ['masked_states', 'axis_sequence'], ['state_sum'], { keepdims: int(0) });
  graph.node('ReduceSum', ['mask', 'axis_sequence'], ['token_count'], { keepdims: int(1) });
  graph.node('Max', ['token_count', 'tiny'], ['safe_count']);
  graph.node('Div', ['state_sum', 'safe_count'], ['pooled']);

  const projection = graph.weight('projection', [TEXT_HIDDEN, EMBED_DIM], weights.projection);
  graph.bias('projection_bias', [EMBED_DIM], weights.projectionBias);
  graph.node('MatMul', ['pooled', projection], ['projected']);
  graph.node('Add', ['projected', 'projection_bias'], ['text_embeds']);

  return graph.finish(
    'tiny_clip_text',
    [
      valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', INT64, ['batch_size', 'sequence_length']),
    ],
    [valueInfo('text_embeds', FLOAT, ['batch_size', EMBED_DIM])],
  );
}

// ---------------------------------------------------------------------------------------
// ONNX graph building

/**
 * Collects nodes and initialisers. With `quantize`, every weight is stored as int8 with a
 * per-tensor scale and restored by a DequantizeLinear node (weight-only int8), so the q8
 * file is about a quarter of the fp32 one and its outputs differ slightly.
 */
function createGraph(quantize) {
  const { node, constant, finish } = graphBuilder();

  function bias(name, dims, values) {
    constant(name, FLOAT, dims, values);
  }

  /** Adds a weight and returns the name of the tensor that holds its float values. */
  function weight(name, dims, values) {
    if (!quantize) {
      constant(name, FLOAT, dims, values);
      return name;
    }

    const { quantized, scale } = quantizeInt8(values);

    constant(`${name}_quantized`, INT8, dims, quantized);
    constant(`${name}_scale`, FLOAT, [], Float32Array.of(scale));
    constant(`${name}_zero_point`, INT8, [], Int8Array.of(0));
    node(
      'DequantizeLinear',
      [`${name}_quantized`, `${name}_scale`, `${name}_zero_point`],
      [`${name}_dequantized`],
    );

    return `${name}_dequantized`;
  }

  return { node, constant, bias, weight, finish };
}

function quantizeInt8(values) {
  const largest = values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  const scale = Math.fround(largest / 127 || 1);
  const quantized = Int8Array.from(values, (value) => Math.round(value / scale));

  return { quantized, scale };
}

function writeModel(outDir, fileName, graph, seed) {
  const producerName = 'idx make-tiny-clip';
  const bytes = encodeModel({ producerName, opset: OPSET, graph, seed, fileName });
  writeFileSync(join(outDir, 'onnx', fileName), bytes);
}

// ---------------------------------------------------------------------------------------
// JSON files

function buildConfig(tokenizer) {
  return {
    _name_or_path: 'idx/tiny-clip',
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: EMBED_DIM,
    logit_scale_init_value: 2.6592,
    text_config: {
      model_type: 'clip_text_model',
      hidden_size: TEXT_HIDDEN,
      projection_dim: EMBED_DIM,
      vocab_size: tokenizer.vocabSize,
      max_position_embeddings: 77,
      bos_token_id: tokenizer.startId,
      eos_token_id: tokenizer.endId,
      pad_token_id: tokenizer.endId,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: VISION_HIDDEN,
      projection_dim: EMBED_DIM,
      image_size: IMAGE_SIZE,
      patch_size: 16,
      num_channels: 3,
    },
    'transformers.js_config': { dtype: 'fp32' },
  };
}

/** The same keys and values as openai/clip-vit-base-patch32's preprocessor_config.json. */
function buildPreprocessorConfig() {
  return {
    crop_size: { height: IMAGE_SIZE, width: IMAGE_SIZE },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: 'CLIPFeatureExtractor',
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_processor_type: 'CLIPImageProcessor',
    image_std: [0.26862954, 0.26130258, 0.27577711],
    resample: 3,
    rescale_factor: 0.00392156862745098,
    size: { shortest_edge: IMAGE_SIZE },
  };
}

function buildTokenizerConfig() {
  return {
    add_prefix_space: false,
    bos_token: START_TOKEN,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: END_TOKEN,
    errors: 'replace',
    model_max_length: 77,
    pad_token: END_TOKEN,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: END_TOKEN,
  };
}

function buildSpecialTokensMap() {
  const token = (content) => ({
    content,
    lstrip: false,
    normalized: true,
    rstrip: false,
    single_word: false,
  });

  return {
    bos_token: token(START_TOKEN),
    eos_token: token(END_TOKEN),
    pad_token: END_TOKEN,
    unk_token: token(END_TOKEN),
  };
}

function writeJson(outDir, fileName, value) {
  writeFileSync(join(outDir, fileName), `${JSON.stringify(value, null, 2)}\n`);
}

// Called last so that every module-level constant above is initialised first.
main();
