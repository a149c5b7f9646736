// The tiny CLIP's tokenizer for make-tiny-clip.mjs: a CLIP-style byte-level BPE with the
// 256 byte tokens (plus their end-of-word forms), a few whole-word merges and the two
// special tokens, in CLIP's vocabulary order.

export const START_TOKEN = '<|startoftext|>';
export const END_TOKEN = '<|endoftext|>';

/** Whole words that become single tokens; everything else falls back to byte tokens. */
const WORDS = [
  'a', 'photo', 'of', 'the', 'and', 'with', 'red', 'blue', 'black', 'white', 'green',
  'shoe', 'shoes', 'dress', 'bag', 'hat', 'shirt', 'pants', 'camera', 'watch', 'milk',
  'juice', 'apple', 'orange', 'chair', 'plant', 'cat', 'dog',
]; // prettier-ignore

/** GPT-2's byte to printable-character table, in CLIP's vocabulary order. */
function bytesToUnicode() {
  const bytes = [];

  for (const [first, last] of [
    [33, 126],
    [161, 172],
    [174, 255],
  ]) {
    for (let byte = first; byte <= last; byte += 1) {
      bytes.push(byte);
    }
  }

  const codePoints = [...bytes];
  let extra = 0;

  for (let byte = 0; byte < 256; byte += 1) {
    if (!bytes.includes(byte)) {
      bytes.push(byte);
      codePoints.push(256 + extra);
      extra += 1;
    }
  }

  return codePoints.map((codePoint) => String.fromCodePoint(codePoint));
}

/**
 * Each word gets the chain of merges that joins it from the left (`p h`, `ph o`, ...,
 * `phot o</w>`), so it becomes one `word</w>` token as in real CLIP.
 */
function buildMerges() {
  const merges = [];

  for (const word of WORDS) {
    const letters = [...word];

    for (let index = 1; index < letters.length; index += 1) {
      const left = letters.slice(0, index).join('');
      const last = index === letters.length - 1;
      const right = last ? `${letters[index]}</w>` : letters[index];
      const merge = `${left} ${right}`;

      if (!merges.includes(merge)) {
        merges.push(merge);
      }
    }
  }

  return merges;
}

export function buildTokenizer() {
  const characters = bytesToUnicode();
  const merges = buildMerges();

  const tokens = [
    ...characters,
    ...characters.map((character) => `${character}</w>`),
    ...merges.map((merge) => merge.replace(' ', '')),
  ];
  const vocab = {};
  tokens.forEach((token, id) => {
    vocab[token] ??= id;
  });

  const startId = tokens.length;
  const endId = tokens.length + 1;
  vocab[START_TOKEN] = startId;
  vocab[END_TOKEN] = endId;

  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [specialToken(startId, START_TOKEN), specialToken(endId, END_TOKEN)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [END_TOKEN, endId],
      cls: [START_TOKEN, startId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: END_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };

  return { json, vocabSize: endId + 1, startId, endId };
}

function specialToken(id, content) {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  };
}
