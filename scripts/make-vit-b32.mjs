#!/usr/bin/env node
/**
 * Writes the compute-equivalent model that `idx bench` measures against: a folder in the
 * CLIP format whose image tower has the exact shapes of CLIP ViT-B/32 (conv patch
 * embedding 32x32, class token, position embedding, pre-LayerNorm, 12 transformer layers of
 * width 768 with 12 attention heads and an MLP of 3072 with quick_gelu, post-LayerNorm and a
 * 768x512 projection) and random weights. It costs the CPU what the real tower costs, so
 * throughput measured with it is the throughput of the real model on this machine; its
 * embeddings mean nothing.
 *
 * Usage: node scripts/make-vit-b32.mjs <outDir> [--dtype fp32|q8|both] [--seed N]
 *                                      [--text-from <tiny-clip folder>]
 *
 * - fp32 writes onnx/vision_model.onnx (about 350 MB, the size of the real file);
 * - q8 writes onnx/vision_model_quantized.onnx (about 97 MB) in the form onnxruntime's
 *   `quantize_dynamic` produces: each linear layer's input goes through
 *   DynamicQuantizeLinear (uint8), the int8 weight through MatMulInteger, and the int32
 *   result is cast and rescaled. The patch convolution and the attention products stay in
 *   float, as they are a few percent of the work.
 *
 * The text tower, tokenizer and JSON files are copied from the tiny test model (generated
 * into a temporary folder with scripts/make-tiny-clip.mjs when the fixture is absent), so
 * the folder loads through idx's normal model path. The ONNX files are written under a
 * temporary name and renamed when complete, so an interrupted run never leaves a file that
 * looks finished. The only dependency is onnx-proto.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as parseCommandLine } from 'node:util';

import {
  FLOAT,
  INT64,
  INT8,
  encodeModel,
  float,
  graphBuilder,
  int,
  ints,
  mulberry32,
  valueInfo,
} from './onnx-helpers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TINY_CLIP = join(ROOT, 'test/fixtures/tiny-clip');
const TINY_CLIP_GENERATOR = join(ROOT, 'scripts/make-tiny-clip.mjs');

const DEFAULT_SEED = 3232;
const OPSET = 17;

/** CLIP ViT-B/32's vision tower. */
const IMAGE_SIZE = 224;
const PATCH = 32;
const WIDTH = 768;
const LAYERS = 12;
const HEADS = 12;
const MLP = 3072;
const PROJECTION = 512;
const GRID = IMAGE_SIZE / PATCH;
const TOKENS = GRID * GRID + 1;
const HEAD_WIDTH = WIDTH / HEADS;
const LAYER_NORM_EPSILON = 1e-5;

/** Files copied from the tiny model: everything but the vision tower. */
const COPIED_FILES = [
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'onnx/text_model.onnx',
  'onnx/text_model_quantized.onnx',
];

function main() {
  const { outDir, dtypes, seed, textFrom } = parseArgs(process.argv.slice(2));
  const started = performance.now();

  mkdirSync(join(outDir, 'onnx'), { recursive: true });
  copyTinyParts(textFrom, outDir);

  for (const dtype of dtypes) {
    // The same seed gives the same weights for both dtypes: q8 is a quantised copy of fp32.
    const weights = drawWeights(createRandom(seed));
    const fileName = dtype === 'q8' ? 'vision_model_quantized.onnx' : 'vision_model.onnx';
    const bytes = writeModel(outDir, fileName, buildVisionGraph(weights, dtype === 'q8'), seed);
    console.log(`${fileName}: ${(bytes / 1e6).toFixed(1)} MB`);
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `ViT-B/32-shaped CLIP (seed ${seed}, ${dtypes.join(' + ')}) written to ${outDir} in ${seconds} s`,
  );
}

function parseArgs(args) {
  let parsed;

  try {
    parsed = parseCommandLine({
      args,
      allowPositionals: true,
      options: {
        dtype: { type: 'string' },
        seed: { type: 'string' },
        'text-from': { type: 'string' },
      },
    });
  } catch (err) {
    fail(err.message);
  }

  const [outDir, ...extra] = parsed.positionals;
  const dtype = parsed.values.dtype ?? 'both';
  const seed = parsed.values.seed === undefined ? DEFAULT_SEED : Number(parsed.values.seed);

  if (outDir === undefined || extra.length > 0) {
    fail('expected exactly one <outDir>');
  }

  if (!['fp32', 'q8', 'both'].includes(dtype)) {
    fail(`--dtype must be fp32, q8 or both, not "${dtype}"`);
  }

  if (!Number.isSafeInteger(seed) || seed < 0) {
    fail('--seed must be a non-negative integer');
  }

  return {
    outDir: resolve(outDir),
    dtypes: dtype === 'both' ? ['fp32', 'q8'] : [dtype],
    seed,
    textFrom: parsed.values['text-from'],
  };
}

function fail(message) {
  console.error(`make-vit-b32: ${message}`);
  console.error(
    'usage: node scripts/make-vit-b32.mjs <outDir> [--dtype fp32|q8|both] [--seed N] [--text-from <tiny-clip folder>]',
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------------
// Text tower, tokenizer and JSON files

/**
 * Copies the tiny model's non-vision files and writes a config.json that states ViT-B/32's
 * vision shapes. Without a tiny model at hand, one is generated into a temporary folder.
 */
function copyTinyParts(textFrom, outDir) {
  let source = textFrom ?? TINY_CLIP;
  let temporary;

  if (!COPIED_FILES.every((file) => existsSync(join(source, file)))) {
    if (textFrom !== undefined) {
      fail(`--text-from ${textFrom} is not a complete tiny CLIP folder`);
    }
    temporary = mkdtempSync(join(tmpdir(), 'idx-tiny-clip-'));
    execFileSync(process.execPath, [TINY_CLIP_GENERATOR, temporary], { stdio: 'ignore' });
    source = temporary;
  }

  try {
    for (const file of COPIED_FILES) {
      copyFileSync(join(source, file), join(outDir, file));
    }

    const config = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8'));
    config._name_or_path = 'idx/compute-equivalent-vit-b32';
    config.vision_config = {
      model_type: 'clip_vision_model',
      hidden_size: WIDTH,
      intermediate_size: MLP,
      num_attention_heads: HEADS,
      num_hidden_layers: LAYERS,
      projection_dim: PROJECTION,
      image_size: IMAGE_SIZE,
      patch_size: PATCH,
      num_channels: 3,
      hidden_act: 'quick_gelu',
      layer_norm_eps: LAYER_NORM_EPSILON,
    };
    writeFileSync(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  } finally {
    if (temporary !== undefined) {
      rmSync(temporary, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------
// Random weights

/**
 * mulberry32 uniforms scaled to the variance of a normal of the same scale. The values only
 * need to be finite and of a plausible size; their distribution does not change the cost.
 */
function createRandom(seed) {
  const uniform = mulberry32(seed);

  function values(count, scale) {
    const array = new Float32Array(count);
    const spread = 2 * Math.sqrt(3) * scale;

    for (let index = 0; index < count; index += 1) {
      array[index] = (uniform() - 0.5) * spread;
    }

    return array;
  }

  return { values };
}

function drawWeights(random) {
  const linear = (inputs, outputs) => ({
    inputs,
    outputs,
    weight: random.values(inputs * outputs, 1 / Math.sqrt(inputs)),
    bias: random.values(outputs, 0.02),
  });

  const patchFanIn = 3 * PATCH * PATCH;

  return {
    patch: random.values(WIDTH * patchFanIn, 1 / Math.sqrt(patchFanIn)),
    classEmbedding: random.values(WIDTH, 0.02),
    positionEmbedding: random.values(TOKENS * WIDTH, 0.02),
    layers: Array.from({ length: LAYERS }, () => ({
      query: linear(WIDTH, WIDTH),
      key: linear(WIDTH, WIDTH),
      value: linear(WIDTH, WIDTH),
      output: linear(WIDTH, WIDTH),
      fc1: linear(WIDTH, MLP),
      fc2: linear(MLP, WIDTH),
    })),
    projection: random.values(WIDTH * PROJECTION, 1 / Math.sqrt(WIDTH)),
  };
}

// ---------------------------------------------------------------------------------------
// Vision tower

function buildVisionGraph(weights, quantize) {
  const graph = createGraph(quantize);

  graph.constant('patch_weight', FLOAT, [WIDTH, 3, PATCH, PATCH], weights.patch);
  graph.node('Conv', ['pixel_values', 'patch_weight'], ['patches'], {
    kernel_shape: ints([PATCH, PATCH]),
    strides: ints([PATCH, PATCH]),
  });
  graph.constant('patch_shape', INT64, [3], BigInt64Array.of(0n, BigInt(WIDTH), -1n));
  graph.node('Reshape', ['patches', 'patch_shape'], ['patch_rows']);
  graph.node('Transpose', ['patch_rows'], ['patch_tokens'], { perm: ints([0, 2, 1]) });

  // The class token, repeated for every image of the batch.
  graph.node('Shape', ['pixel_values'], ['input_shape']);
  graph.constant('zero', INT64, [1], BigInt64Array.of(0n));
  graph.constant('one', INT64, [1], BigInt64Array.of(1n));
  graph.node('Slice', ['input_shape', 'zero', 'one'], ['batch']);
  graph.constant('class_tail', INT64, [2], BigInt64Array.of(1n, BigInt(WIDTH)));
  graph.node('Concat', ['batch', 'class_tail'], ['class_shape'], { axis: int(0) });
  graph.constant('class_embedding', FLOAT, [1, 1, WIDTH], weights.classEmbedding);
  graph.node('Expand', ['class_embedding', 'class_shape'], ['class_tokens']);

  graph.node('Concat', ['class_tokens', 'patch_tokens'], ['tokens'], { axis: int(1) });
  graph.constant('position_embedding', FLOAT, [TOKENS, WIDTH], weights.positionEmbedding);
  graph.node('Add', ['tokens', 'position_embedding'], ['embeddings']);
  let hidden = graph.layerNorm('pre_layernorm', 'embeddings');

  graph.constant(
    'head_shape',
    INT64,
    [4],
    BigInt64Array.of(0n, 0n, BigInt(HEADS), BigInt(HEAD_WIDTH)),
  );
  graph.constant('merged_shape', INT64, [3], BigInt64Array.of(0n, 0n, BigInt(WIDTH)));
  graph.constant('attention_scale', FLOAT, [], Float32Array.of(1 / Math.sqrt(HEAD_WIDTH)));
  graph.constant('gelu_factor', FLOAT, [], Float32Array.of(1.702));

  weights.layers.forEach((layer, index) => {
    hidden = addEncoderLayer(graph, `layer${index}`, hidden, layer);
  });

  // Pooled output: the class token after the post-LayerNorm, projected without bias.
  graph.constant('zero_scalar', INT64, [], BigInt64Array.of(0n));
  graph.node('Gather', [hidden, 'zero_scalar'], ['pooled'], { axis: int(1) });
  const normalised = graph.layerNorm('post_layernorm', 'pooled');
  graph.linear('visual_projection', normalised, 'image_embeds', {
    inputs: WIDTH,
    outputs: PROJECTION,
    weight: weights.projection,
  });

  return graph.finish(
    'vit_b32_shaped_vision',
    [valueInfo('pixel_values', FLOAT, ['batch_size', 3, IMAGE_SIZE, IMAGE_SIZE])],
    [valueInfo('image_embeds', FLOAT, ['batch_size', PROJECTION])],
  );
}

/** One pre-LN transformer block: self-attention and MLP, each with a residual. */
function addEncoderLayer(graph, prefix, input, layer) {
  const attentionInput = graph.layerNorm(`${prefix}_ln1`, input);
  const quantized = graph.quantizeInput(attentionInput);

  const heads = {};
  for (const [name, perm] of [
    ['query', [0, 2, 1, 3]],
    ['key', [0, 2, 3, 1]],
    ['value', [0, 2, 1, 3]],
  ]) {
    const projected = graph.linear(
      `${prefix}_${name}`,
      attentionInput,
      undefined,
      layer[name],
      quantized,
    );
    graph.node('Reshape', [projected, 'head_shape'], [`${prefix}_${name}_split`]);
    graph.node('Transpose', [`${prefix}_${name}_split`], [`${prefix}_${name}_heads`], {
      perm: ints(perm),
    });
    heads[name] = `${prefix}_${name}_heads`;
  }

  graph.node('MatMul', [heads.query, heads.key], [`${prefix}_scores`]);
  graph.node('Mul', [`${prefix}_scores`, 'attention_scale'], [`${prefix}_scaled`]);
  graph.node('Softmax', [`${prefix}_scaled`], [`${prefix}_probabilities`], { axis: int(-1) });
  graph.node('MatMul', [`${prefix}_probabilities`, heads.value], [`${prefix}_context`]);
  graph.node('Transpose', [`${prefix}_context`], [`${prefix}_context_tokens`], {
    perm: ints([0, 2, 1, 3]),
  });
  graph.node('Reshape', [`${prefix}_context_tokens`, 'merged_shape'], [`${prefix}_merged`]);
  const attended = graph.linear(`${prefix}_output`, `${prefix}_merged`, undefined, layer.output);
  graph.node('Add', [input, attended], [`${prefix}_residual1`]);

  const mlpInput = graph.layerNorm(`${prefix}_ln2`, `${prefix}_residual1`);
  const expanded = graph.linear(`${prefix}_fc1`, mlpInput, undefined, layer.fc1);
  graph.node('Mul', [expanded, 'gelu_factor'], [`${prefix}_gelu_scaled`]);
  graph.node('Sigmoid', [`${prefix}_gelu_scaled`], [`${prefix}_gelu_gate`]);
  graph.node('Mul', [expanded, `${prefix}_gelu_gate`], [`${prefix}_gelu`]);
  const contracted = graph.linear(`${prefix}_fc2`, `${prefix}_gelu`, undefined, layer.fc2);
  graph.node('Add', [`${prefix}_residual1`, contracted], [`${prefix}_out`]);

  return `${prefix}_out`;
}

// ---------------------------------------------------------------------------------------
// ONNX graph building

function createGraph(quantize) {
  const { node, constant, finish } = graphBuilder();

  function layerNorm(name, input) {
    constant(`${name}_scale`, FLOAT, [WIDTH], new Float32Array(WIDTH).fill(1));
    constant(`${name}_bias`, FLOAT, [WIDTH], new Float32Array(WIDTH));
    node('LayerNormalization', [input, `${name}_scale`, `${name}_bias`], [`${name}_out`], {
      axis: int(-1),
      epsilon: float(LAYER_NORM_EPSILON),
    });
    return `${name}_out`;
  }

  /**
   * The dynamic quantisation of an activation, shared by every linear layer that reads it
   * (as quantize_dynamic does for q, k and v). Undefined in fp32 graphs.
   */
  function quantizeInput(input) {
    if (!quantize) {
      return undefined;
    }
    const names = ['quantized', 'scale', 'zero_point'].map((part) => `${input}_${part}`);
    node('DynamicQuantizeLinear', [input], names);
    return { values: names[0], scale: names[1], zeroPoint: names[2] };
  }

  /** input x weight (+ bias); the output is named `output` or `<name>_out`. */
  function linear(name, input, output, params, quantized) {
    const result = output ?? `${name}_out`;
    const product = params.bias ? `${name}_product` : result;
    const dims = [params.inputs, params.outputs];

    if (quantize) {
      const activation = quantized ?? quantizeInput(input);
      const { values, scale } = quantizeInt8(params.weight);

      constant(`${name}_weight_quantized`, INT8, dims, values);
      constant(`${name}_weight_scale`, FLOAT, [], Float32Array.of(scale));
      constant(`${name}_weight_zero_point`, INT8, [], Int8Array.of(0));
      node(
        'MatMulInteger',
        [
          activation.values,
          `${name}_weight_quantized`,
          activation.zeroPoint,
          `${name}_weight_zero_point`,
        ],
        [`${name}_integer`],
      );
      node('Cast', [`${name}_integer`], [`${name}_float`], { to: int(FLOAT) });
      node('Mul', [activation.scale, `${name}_weight_scale`], [`${name}_rescale`]);
      node('Mul', [`${name}_float`, `${name}_rescale`], [product]);
    } else {
      constant(`${name}_weight`, FLOAT, dims, params.weight);
      node('MatMul', [input, `${name}_weight`], [product]);
    }

    if (params.bias) {
      constant(`${name}_bias`, FLOAT, [params.outputs], params.bias);
      node('Add', [product, `${name}_bias`], [result]);
    }

    return result;
  }

  return { node, constant, layerNorm, quantizeInput, linear, finish };
}

/** Symmetric per-tensor int8, zero point 0: quantize_dynamic's default for weights. */
function quantizeInt8(weights) {
  let largest = 0;
  for (const value of weights) {
    largest = Math.max(largest, Math.abs(value));
  }

  const scale = Math.fround(largest / 127 || 1);
  const values = new Int8Array(weights.length);
  for (let index = 0; index < weights.length; index += 1) {
    values[index] = Math.max(-127, Math.min(127, Math.round(weights[index] / scale)));
  }

  return { values, scale };
}

/** Encodes and writes the model under a temporary name, then renames it; returns its size. */
function writeModel(outDir, fileName, graph, seed) {
  const producerName = 'idx make-vit-b32';
  const bytes = encodeModel({ producerName, opset: OPSET, graph, seed, fileName });
  const target = join(outDir, 'onnx', fileName);
  const partial = `${target}.partial-${process.pid}`;

  writeFileSync(partial, bytes);
  renameSync(partial, target);

  return bytes.length;
}

// Called last so that every module-level constant above is initialised first.
main();
