#!/usr/bin/python3
"""
Writes a TINY Stable-Diffusion-family ONNX pipeline with random weights into
test/fixtures/tiny-diffusion/ (or the folder given as the first argument).

It has the file layout, graph input/output names, element types, dynamic axes and config files of
the real export that Argus's `sd-turbo` catalog entry pulls (onnxruntime/sd-turbo on Hugging Face,
made by Olive for onnxruntime: fp16 graphs, int32 token ids, no tokenizer.json):

    model_index.json
    scheduler/scheduler_config.json          EulerDiscreteScheduler, trailing spacing, as SD-Turbo's
    tokenizer/{vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json}
    text_encoder/model.onnx   input_ids int32 [batch, sequence] -> last_hidden_state f16 [batch, sequence, hidden], pooler_output f16
    unet/model.onnx           sample f16 [batch, 4, h, w], timestep f16 [batch], encoder_hidden_states f16 [batch, sequence, hidden] -> out_sample f16
    vae_decoder/model.onnx    latent_sample f16 [batch, 4, h, w] -> sample f16 [batch, 3, 8h, 8w]
    vae_encoder/model.onnx    sample f16 [batch, 3, H, W] -> latent_sample f16 [batch, 4, H/8, W/8]

What differs from the real thing, on purpose:
- the weights are random and tiny (hidden size 32, 16 channels): images are noise, not pictures;
- the tokenizer is a real CLIP byte-level BPE (same byte alphabet, vocabulary order, special
  tokens and SD 2.x pad token "!") with 160 merges learnt from a few phrases instead of 48,894;
- the VAE encoder returns the latent distribution's mean, where the Olive export samples from it
  inside the graph; a stand-in that draws its own noise could not test byte-identical edits;
- the graphs compute in float32 between a cast in and a cast out, so they run on onnxruntime's CPU
  provider (the real fp16 graphs are built for CUDA).

Deterministic: fixed seeds and sorted iteration, so re-running it writes the same bytes.
It also writes tiny-diffusion.tokens.json beside the folder: reference token ids computed here
with CLIP's own BPE algorithm, which the TypeScript tokenizer tests compare against.

Run with Debian's Python (torch 1.13, onnx 1.12): /usr/bin/python3 scripts/make-tiny-diffusion.py
"""
import json
import math
import os
import re
import sys
from collections import Counter

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, 'test', 'fixtures', 'tiny-diffusion')
TOKENS_OUT = OUT.rstrip('/') + '.tokens.json'

HIDDEN = 32          # CLIP text width (1024 in SD 2.x / SD-Turbo)
MAX_POSITIONS = 77   # CLIP context length, as the real text encoder
LATENT = 4           # latent channels, as every SD 1.x/2.x VAE
CHANNELS = 16        # UNet / VAE width (320 / 128 in the real models)
MERGES = 160
OPSET = 16

CORPUS = (
    'a photo of a cat sitting on the table. an astronaut riding a horse on the moon, '
    'a painting of a red house by the sea in the style of van gogh; a blue car in the city at night '
    'with neon lights. a portrait of a woman, highly detailed, sharp focus, cinematic lighting. '
    'a bowl of fruit, oranges and apples, still life. the mountains at sunset, landscape photography. '
    'a dog running in the park, green grass, trees and flowers.'
)

PATTERN = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+", re.IGNORECASE)
BOS, EOS, PAD = '<|startoftext|>', '<|endoftext|>', '!'


def bytes_to_unicode():
    """CLIP/GPT-2's reversible byte -> printable character table, in CLIP's vocabulary order."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()


def words(text):
    text = re.sub(r'\s+', ' ', text).strip().lower()
    return [''.join(BYTE_ENCODER[b] for b in w.encode('utf-8')) for w in PATTERN.findall(text)]


def learn_merges(corpus, count):
    """Plain BPE training over CLIP's end-of-word symbols; ties broken by the pair's text, so it is deterministic."""
    freq = Counter(words(corpus))
    splits = {w: tuple(w[:-1]) + (w[-1] + '</w>',) for w in freq}
    merges = []
    while len(merges) < count:
        pairs = Counter()
        for w, n in freq.items():
            s = splits[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], [-ord(c) for c in kv[0][0] + ' ' + kv[0][1]]))[0]
        for w in freq:
            s, out, i = splits[w], [], 0
            while i < len(s):
                if i < len(s) - 1 and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = tuple(out)
        if best not in merges:
            merges.append(best)
    return merges


def build_vocab(merges):
    """CLIP's vocabulary order: the 256 byte symbols, the same with </w>, the merges, then the two specials."""
    symbols = list(BYTE_ENCODER.values())
    vocab = {}
    # Two merges can spell the same token ('ab'+'c', 'a'+'bc'); it keeps its first id.
    for token in symbols + [s + '</w>' for s in symbols] + [a + b for a, b in merges] + [BOS, EOS]:
        vocab.setdefault(token, len(vocab))
    return vocab


def clip_bpe(token, ranks):
    """CLIP's simple_tokenizer.bpe: merge the lowest-ranked pair until none is known."""
    word = tuple(token[:-1]) + (token[-1] + '</w>',)
    while len(word) > 1:
        pairs = set(zip(word, word[1:]))
        best = min(pairs, key=lambda p: ranks.get(p, math.inf))
        if best not in ranks:
            break
        out, i = [], 0
        while i < len(word):
            if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                out.append(word[i] + word[i + 1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        word = tuple(out)
    return word


def clip_encode(text, vocab, ranks):
    ids = [vocab[BOS]]
    for w in words(text):
        ids.extend(vocab[piece] for piece in clip_bpe(w, ranks))
    return ids + [vocab[EOS]]


class TextEncoder(nn.Module):
    """Token + position embeddings, one pre-norm MLP block, final LayerNorm; pooled at the EOS token as CLIP does."""

    def __init__(self, vocab_size, eos_id):
        super().__init__()
        self.eos_id = eos_id
        self.token = nn.Embedding(vocab_size, HIDDEN)
        self.position = nn.Parameter(torch.randn(MAX_POSITIONS, HIDDEN) * 0.02)
        self.norm1 = nn.LayerNorm(HIDDEN)
        self.fc1 = nn.Linear(HIDDEN, 4 * HIDDEN)
        self.fc2 = nn.Linear(4 * HIDDEN, HIDDEN)
        self.final = nn.LayerNorm(HIDDEN)

    def forward(self, input_ids):
        ids = input_ids.long()
        h = self.token(ids) + self.position[: ids.shape[1]].unsqueeze(0)
        h = h + self.fc2(F.gelu(self.fc1(self.norm1(h))))
        h = self.final(h)
        # CLIP pools at the first EOS token (argmax of the ids only works for the real vocabulary order).
        eos = (ids == self.eos_id).int().argmax(dim=-1)
        pooled = h[torch.arange(h.shape[0]), eos]
        return h.half(), pooled.half()


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float().unsqueeze(-1) * freqs.unsqueeze(0)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class UNet(nn.Module):
    """conv in, time embedding, cross-attention on the text, one down/up level with a skip, conv out."""

    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(LATENT, CHANNELS, 3, padding=1)
        self.time = nn.Sequential(nn.Linear(CHANNELS, CHANNELS), nn.SiLU(), nn.Linear(CHANNELS, CHANNELS))
        self.q = nn.Conv2d(CHANNELS, CHANNELS, 1)
        self.k = nn.Linear(HIDDEN, CHANNELS)
        self.v = nn.Linear(HIDDEN, CHANNELS)
        self.down = nn.Conv2d(CHANNELS, 2 * CHANNELS, 3, stride=2, padding=1)
        self.mid = nn.Conv2d(2 * CHANNELS, 2 * CHANNELS, 3, padding=1)
        self.up = nn.Conv2d(2 * CHANNELS, CHANNELS, 3, padding=1)
        self.conv_out = nn.Conv2d(2 * CHANNELS, LATENT, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        x, text = sample.float(), encoder_hidden_states.float()
        h = self.conv_in(x) + self.time(timestep_embedding(timestep, CHANNELS))[:, :, None, None]
        b, c, hh, ww = h.shape
        q = self.q(h).flatten(2).transpose(1, 2)                       # [b, hw, c]
        attn = torch.softmax(q @ self.k(text).transpose(1, 2) / math.sqrt(c), dim=-1)
        h = h + (attn @ self.v(text)).transpose(1, 2).reshape(b, c, hh, ww)
        d = F.silu(self.mid(F.silu(self.down(h))))
        # Upsampling to the skip's own size keeps any latent size valid (odd sizes included).
        u = self.up(F.interpolate(d, size=h.shape[-2:], mode='nearest'))
        return self.conv_out(F.silu(torch.cat([h, u], dim=1))).half()


class VaeDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(LATENT, CHANNELS, 3, padding=1)
        self.ups = nn.ModuleList(nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1) for _ in range(3))
        self.conv_out = nn.Conv2d(CHANNELS, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(latent_sample.float())
        for conv in self.ups:
            h = F.silu(conv(F.interpolate(h, scale_factor=2.0, mode='nearest')))
        return self.conv_out(h).half()


class VaeEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(3, CHANNELS, 3, padding=1)
        self.downs = nn.ModuleList(nn.Conv2d(CHANNELS, CHANNELS, 3, stride=2, padding=1) for _ in range(3))
        self.conv_out = nn.Conv2d(CHANNELS, 2 * LATENT, 1)

    def forward(self, sample):
        h = F.silu(self.conv_in(sample.float()))
        for conv in self.downs:
            h = F.silu(conv(h))
        moments = self.conv_out(h)
        return moments[:, :LATENT].half()   # the mean of the latent distribution (see the module docstring)


def export(model, args, path, inputs, outputs, axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True)
    graph = onnx.load(path)
    onnx.checker.check_model(graph)
    # Export stamps the producer's version; pin it so the bytes do not depend on the torch build.
    graph.producer_name, graph.producer_version = 'argus-make-tiny-diffusion', '1'
    onnx.save(graph, path)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write('\n')


def main():
    torch.manual_seed(0)
    merges = learn_merges(CORPUS, MERGES)
    vocab = build_vocab(merges)
    ranks = {m: i for i, m in enumerate(merges)}

    added = lambda content: {'content': content, 'lstrip': False, 'normalized': True, 'rstrip': False, 'single_word': False, 'special': True}
    write_json(os.path.join(OUT, 'tokenizer', 'vocab.json'), vocab)
    with open(os.path.join(OUT, 'tokenizer', 'merges.txt'), 'w', encoding='utf-8') as f:
        f.write('#version: 0.2\n' + ''.join(f'{a} {b}\n' for a, b in merges))
    write_json(os.path.join(OUT, 'tokenizer', 'tokenizer_config.json'), {
        'add_prefix_space': False,
        'added_tokens_decoder': {str(vocab[PAD]): added(PAD), str(vocab[BOS]): added(BOS), str(vocab[EOS]): added(EOS)},
        'bos_token': BOS,
        'clean_up_tokenization_spaces': True,
        'do_lower_case': True,
        'eos_token': EOS,
        'errors': 'replace',
        'model_max_length': MAX_POSITIONS,
        'pad_token': PAD,
        'tokenizer_class': 'CLIPTokenizer',
        'unk_token': EOS,
    })
    token = lambda content: {k: v for k, v in added(content).items() if k != 'special'}
    write_json(os.path.join(OUT, 'tokenizer', 'special_tokens_map.json'),
               {'bos_token': token(BOS), 'eos_token': token(EOS), 'pad_token': PAD, 'unk_token': token(EOS)})
    write_json(os.path.join(OUT, 'scheduler', 'scheduler_config.json'), {
        '_class_name': 'EulerDiscreteScheduler',
        '_diffusers_version': '0.24.0.dev0',
        'beta_end': 0.012,
        'beta_schedule': 'scaled_linear',
        'beta_start': 0.00085,
        'clip_sample': False,
        'interpolation_type': 'linear',
        'num_train_timesteps': 1000,
        'prediction_type': 'epsilon',
        'sample_max_value': 1.0,
        'set_alpha_to_one': False,
        'skip_prk_steps': True,
        'steps_offset': 1,
        'timestep_spacing': 'trailing',
        'timestep_type': 'discrete',
        'trained_betas': None,
        'use_karras_sigmas': False,
    })
    write_json(os.path.join(OUT, 'model_index.json'), {
        '_class_name': 'OnnxStableDiffusionPipeline',
        '_diffusers_version': '0.24.0',
        'feature_extractor': [None, None],
        'requires_safety_checker': False,
        'safety_checker': [None, None],
        'scheduler': ['diffusers', 'EulerDiscreteScheduler'],
        'text_encoder': ['diffusers', 'OnnxRuntimeModel'],
        'tokenizer': ['transformers', 'CLIPTokenizer'],
        'unet': ['diffusers', 'OnnxRuntimeModel'],
        'vae_decoder': ['diffusers', 'OnnxRuntimeModel'],
        'vae_encoder': ['diffusers', 'OnnxRuntimeModel'],
    })

    prompt = clip_encode('a cat', vocab, ranks)
    ids = torch.tensor([prompt + [vocab[PAD]] * (MAX_POSITIONS - len(prompt))], dtype=torch.int32)
    export(TextEncoder(len(vocab), vocab[EOS]), (ids,), os.path.join(OUT, 'text_encoder', 'model.onnx'),
           ['input_ids'], ['last_hidden_state', 'pooler_output'],
           {'input_ids': {0: 'batch', 1: 'sequence'}, 'last_hidden_state': {0: 'batch', 1: 'sequence'}, 'pooler_output': {0: 'batch'}})
    latent = torch.randn(1, LATENT, 8, 8).half()
    export(UNet(), (latent, torch.tensor([999.0]).half(), torch.randn(1, MAX_POSITIONS, HIDDEN).half()),
           os.path.join(OUT, 'unet', 'model.onnx'), ['sample', 'timestep', 'encoder_hidden_states'], ['out_sample'],
           {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'timestep': {0: 'batch'},
            'encoder_hidden_states': {0: 'batch', 1: 'sequence'}, 'out_sample': {0: 'batch', 2: 'height', 3: 'width'}})
    export(VaeDecoder(), (latent,), os.path.join(OUT, 'vae_decoder', 'model.onnx'), ['latent_sample'], ['sample'],
           {'latent_sample': {0: 'batch', 2: 'height', 3: 'width'}, 'sample': {0: 'batch', 2: 'height', 3: 'width'}})
    export(VaeEncoder(), (torch.randn(1, 3, 64, 64).half(),), os.path.join(OUT, 'vae_encoder', 'model.onnx'), ['sample'], ['latent_sample'],
           {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'latent_sample': {0: 'batch', 2: 'height', 3: 'width'}})

    prompts = ['a cat', 'An astronaut riding a horse on the moon!', "the dog's  toys,\tred & blue 42", 'café crème', '']
    write_json(TOKENS_OUT, {
        'about': 'Token ids from CLIP\'s BPE algorithm (scripts/make-tiny-diffusion.py) for the tiny vocabulary, with BOS and EOS.',
        'bos': vocab[BOS], 'eos': vocab[EOS], 'pad': vocab[PAD],
        'cases': [{'text': p, 'ids': clip_encode(p, vocab, ranks)} for p in prompts],
    })
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f'wrote {OUT} ({total / 1024:.0f} KiB, vocabulary {len(vocab)}) and {TOKENS_OUT}')


if __name__ == '__main__':
    main()
