import { modelReference } from '../../config/model-reference.js';
import { BadImageError, errorMessage } from '../../core/errors.js';
import { resolveModelSource } from '../../embed/model-source.js';
import { readImageFile } from '../../images/file-facts.js';
import { preprocessImage } from '../../images/preprocess.js';
import { percentile, round } from '../../util/stats.js';
import type { CheckSpec } from '../budget.js';
import type { DiagnoseSession } from '../session.js';

const EMBED_RUNS = 3;

/**
 * The model: where it loads from, how long loading takes, the embedding dimension, and
 * the time to decode and embed one image (the probe), median of a few runs.
 */
export function modelCheck(session: DiagnoseSession, capMs: number): CheckSpec {
  const { config, image } = session.settings;
  const commands = session.commands;
  const model = modelReference(config.model);

  return {
    name: 'model',
    title: 'Model',
    capMs,
    onTimeout: (ms) => ({
      status: 'fail',
      symptom: `The model did not load and embed one image within ${round(ms / 1000, 1)} s.`,
      cause:
        'a large model on a slow disk or a busy machine, or a download (--allow-download) that is slow',
      fix: [
        '# allow more time, or use a smaller or quantised model',
        commands.diagnose(['--timeout', '120']),
        commands.diagnose(['--dtype', 'q8']),
      ],
    }),
    async run(scope) {
      const { figures } = scope;
      figures.model = config.model;
      figures.dtype = config.dtype;
      try {
        const source = resolveModelSource(model, config.modelCacheDir);
        figures.source = source.hubId ? `hub model ${source.hubId}, cache` : 'local folder';
        figures.loadedFrom = source.folder;
      } catch {
        // loadEmbedder below reports the same problem with its own wording.
      }

      const started = performance.now();
      let embedder;
      try {
        embedder = await session.embedders.get(model, config.dtype);
      } catch (err) {
        figures.loaded = false;
        return [
          {
            status: 'fail',
            symptom: `Model "${config.model}" cannot be loaded.`,
            cause: errorMessage(err),
            fix: [
              '# use a local CLIP-format folder (config.json, preprocessor_config.json, onnx/vision_model.onnx, ...)',
              commands.diagnose(['--model', '/path/to/clip-model']),
              '# or let idx download the hub model once (needs access to huggingface.co)',
              commands.diagnose(['--allow-download']),
            ],
          },
        ];
      }
      session.embedder = embedder;
      figures.loaded = true;
      figures.loadedFrom = embedder.info.folder;
      figures.loadMs = round(performance.now() - started);
      figures.threads = embedder.info.threads;
      figures.dimension = embedder.info.dimension;

      try {
        const bytes = await readImageFile(image);
        session.probeBytes = bytes;
        const decodeStart = performance.now();
        const { pixels } = await preprocessImage(bytes, embedder.preprocess);
        const decodeMs = performance.now() - decodeStart;

        const times: number[] = [];
        for (let i = 0; i < EMBED_RUNS; i++) {
          const start = performance.now();
          const [vector] = await embedder.embedImages([pixels]);
          times.push(performance.now() - start);
          session.probeEmbedding = vector;
        }
        const embedMs = percentile(times, 50);
        figures.decodeMs = round(decodeMs);
        figures.embedMs = round(embedMs);
        figures.perImageMs = round(decodeMs + embedMs);
      } catch (err) {
        const reason = err instanceof BadImageError ? err.message : errorMessage(err);
        return [
          {
            status: 'fail',
            symptom: `The probe image ${image} cannot be embedded: ${reason}`,
            cause:
              err instanceof BadImageError
                ? 'the image file is unreadable or not a supported photo'
                : 'the model failed on a real image',
            fix: [
              '# try the bundled probe image, or another product photo',
              commands.diagnose(),
              commands.diagnose(['--image', '/path/to/photo.jpg']),
            ],
          },
        ];
      }
      return [];
    },
  };
}
