// Shared by the model generators (make-tiny-clip.mjs, make-vit-b32.mjs): a seeded random
// source and the few ONNX protobuf shapes they build, so both write models the same way.
import { Buffer } from 'node:buffer';

import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;

/** mulberry32: uniforms in [0, 1), small, fast and the same on every machine. */
export function mulberry32(seed) {
  let state = seed >>> 0;

  return function uniform() {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** An initialiser from a typed array, as little-endian raw bytes. */
export function tensorProto(name, dataType, dims, values) {
  const rawData = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return { name, dataType, dims, rawData };
}

/** A graph input or output; string dimensions are symbolic (`batch_size`). */
export function valueInfo(name, elemType, dims) {
  const dim = dims.map((value) =>
    typeof value === 'string' ? { dimParam: value } : { dimValue: value },
  );
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

export function ints(values) {
  return { type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

export function int(value) {
  return { type: onnx.AttributeProto.AttributeType.INT, i: value };
}

export function float(value) {
  return { type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
}

/** Checks and encodes a model; the seed is kept in its metadata. */
export function encodeModel({ producerName, opset, graph, seed, fileName }) {
  const model = {
    irVersion: 8,
    producerName,
    producerVersion: '1',
    opsetImport: [{ domain: '', version: opset }],
    metadataProps: [{ key: 'seed', value: String(seed) }],
    graph,
  };

  const problem = onnx.ModelProto.verify(model);
  if (problem) {
    throw new Error(`invalid ONNX model ${fileName}: ${problem}`);
  }

  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT8 = onnx.TensorProto.DataType.INT8;
export const INT64 = onnx.TensorProto.DataType.INT64;

/**
 * The core of a graph under construction: `node` adds an operator (named by its type and
 * position), `constant` an initialiser, `finish` returns the GraphProto object. Each
 * generator adds its own layers on top.
 */
export function graphBuilder() {
  const nodes = [];
  const initializer = [];

  function node(opType, input, output, attributes = {}) {
    const attribute = Object.entries(attributes).map(([name, value]) => ({ name, ...value }));
    nodes.push({ opType, input, output, name: `${opType}_${nodes.length}`, attribute });
  }

  function constant(name, dataType, dims, values) {
    initializer.push(tensorProto(name, dataType, dims, values));
  }

  function finish(name, input, output) {
    return { name, node: nodes, initializer, input, output };
  }

  return { node, constant, finish };
}
