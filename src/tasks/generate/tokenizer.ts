/**
 * The CLIP tokenizer of a Stable Diffusion folder (`tokenizer/`), run by transformers.js.
 *
 * transformers.js reads only the "fast" tokenizer format (tokenizer.json). Diffusers-style exports
 * (Olive's onnxruntime/sd-turbo among them) ship the "slow" files instead: vocab.json and
 * merges.txt. For those, the tokenizer.json that Hugging Face's CLIPTokenizerFast converter writes
 * is assembled from them here (the BPE itself stays transformers.js's); the class and special
 * tokens come from tokenizer_config.json as AutoTokenizer would pick them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the pipeline needs from a tokenizer (a transformers.js PreTrainedTokenizer provides it). */
export interface TextTokenizer {
  readonly bos_token_id: number | null;
  readonly eos_token_id: number | null;
  readonly pad_token_id: number | null;
  encode(text: string): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
}

export interface ClipTokenizer {
  /** Token ids padded (or cut) to the text encoder's context length, BOS … EOS. */
  encode(text: string): PromptTokens;
  /** The text of some ids, without special tokens. */
  decode(ids: number[]): string;
  readonly length: number;
}

export interface PromptTokens {
  ids: number[];
  /** Tokens of the prompt itself (without BOS/EOS) that the model saw. */
  used: number;
  /** Tokens of the prompt that did not fit and were dropped. */
  dropped: number;
}

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(() => true, () => false);
}

/**
 * The tokenizer.json of a CLIP tokenizer, from its vocab.json and merges.txt: NFC, whitespace runs
 * to one space, lower case; CLIP's word regex; byte-level BPE with `</w>` ending each word;
 * BOS/EOS around every text.
 */
export function clipTokenizerJson(vocab: Record<string, number>, mergesText: string): Record<string, unknown> {
  const merges = mergesText.split('\n').filter((line) => line.length > 0 && !line.startsWith('#version'));
  const special = (content: string) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  for (const token of [BOS, EOS]) if (vocab[token] === undefined) throw new Error(`vocab.json has no ${token}`);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(BOS), special(EOS)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: [EOS, vocab[EOS]], cls: [BOS, vocab[BOS]], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: EOS, continuing_subword_prefix: '', end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false,
      vocab, merges,
    },
  };
}

/** Loads `dir` (a tokenizer folder) as transformers.js's AutoTokenizer would, building tokenizer.json when absent. */
export async function loadTextTokenizer(dir: string): Promise<{ tokenizer: TextTokenizer; config: Record<string, unknown> }> {
  const config = await readJson(join(dir, 'tokenizer_config.json'));
  const json = (await exists(join(dir, 'tokenizer.json')))
    ? await readJson(join(dir, 'tokenizer.json'))
    : clipTokenizerJson(await readJson(join(dir, 'vocab.json')) as Record<string, number>, await readFile(join(dir, 'merges.txt'), 'utf8'));
  const transformers = await import('@huggingface/transformers');
  const name = String(config.tokenizer_class ?? 'CLIPTokenizer').replace(/Fast$/, '');
  const classes = transformers as unknown as Record<string, new (json: unknown, config: unknown) => TextTokenizer>;
  const Tokenizer = classes[name];
  if (typeof Tokenizer !== 'function' || !name.endsWith('Tokenizer')) throw new Error(`tokenizer class ${name} is not in transformers.js`);
  return { tokenizer: new Tokenizer(json, config), config };
}

/**
 * A CLIP tokenizer for a text encoder with a fixed context (77): BOS, the prompt's tokens, EOS,
 * then the pad token (`!` in SD 2.x and SD-Turbo, `<|endoftext|>` in SD 1.x) up to the length.
 * A longer prompt keeps its first tokens and still ends in EOS, as diffusers' truncation does.
 */
export async function loadClipTokenizer(dir: string, length?: number): Promise<ClipTokenizer> {
  const { tokenizer, config } = await loadTextTokenizer(dir);
  const context = length ?? Number(config.model_max_length ?? 77);
  if (!Number.isInteger(context) || context < 2 || context > 4096) throw new Error(`tokenizer model_max_length ${config.model_max_length} is not a context length`);
  const { bos_token_id: bos, eos_token_id: eos } = tokenizer;
  // The pad token is looked up as a token ("!" is id 0 in CLIP's vocabulary), not encoded as a text.
  const pad = tokenizer.pad_token_id ?? eos;
  if (bos === null || eos === null || pad === null) throw new Error('tokenizer_config.json names no bos_token/eos_token');
  return {
    length: context,
    encode(text: string): PromptTokens {
      const all = tokenizer.encode(text);
      if (all[0] !== bos || all.at(-1) !== eos) throw new Error('the tokenizer does not wrap texts in BOS … EOS');
      const body = all.slice(1, -1);
      const used = Math.min(body.length, context - 2);
      const ids = [bos, ...body.slice(0, used), eos];
      while (ids.length < context) ids.push(pad);
      return { ids, used, dropped: body.length - used };
    },
    decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: true }),
  };
}
