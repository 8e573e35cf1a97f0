#!/usr/bin/python3
"""Generates a tiny CLIP-architecture model folder for tests: test/fixtures/tiny-clip/.

No CLIP weights can be fetched here, so this builds the architecture of Hugging Face's CLIPModel
(ViT image tower, causal text transformer pooled at the end-of-text token, linear projections,
logit scale) with tiny dimensions and seeded random weights, and writes the folder layout that
transformers.js 4.x loads for Xenova/clip-vit-base-patch32:

  config.json                 model_type "clip", text_config / vision_config
  preprocessor_config.json    CLIPImageProcessor (32×32 here instead of 224×224)
  tokenizer.json              byte-level BPE with CLIP's normaliser, pre-tokeniser, </w> suffix
  tokenizer_config.json       CLIPTokenizer, <|startoftext|> / <|endoftext|>
  vocab.json, merges.txt      the same vocabulary for Python tokenizers
  onnx/model.onnx             CLIPModel: input_ids, attention_mask, pixel_values →
                              logits_per_image, logits_per_text, text_embeds, image_embeds
  onnx/text_model.onnx        CLIPTextModelWithProjection: input_ids, attention_mask → text_embeds, last_hidden_state
  onnx/vision_model.onnx      CLIPVisionModelWithProjection: pixel_values → image_embeds, last_hidden_state

It also writes test/fixtures/tiny-clip.png (a 32×32 image, so CLIP's resize and crop leave it as
it is) and test/fixtures/tiny-clip.reference.json: the token ids, embeddings and logits PyTorch
computes for that image and a few prompts, which the tests compare with what Argus returns.

Run with Debian's python (torch 1.13, onnx): /usr/bin/python3 scripts/make-tiny-clip.py
Deterministic: a fixed seed, and the same bytes on every run with the same torch version.
"""
import json
import math
import os
import re
import struct
import zlib

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
OUT = os.path.join(ROOT, 'tiny-clip')

HIDDEN, INTERMEDIATE, LAYERS, HEADS, PROJECTION = 16, 32, 2, 2, 8
IMAGE, PATCH, MAX_POSITIONS = 32, 8, 16
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
WORDS = ['a', 'an', 'the', 'photo', 'of', 'picture', 'cat', 'dog', 'car', 'bus', 'red', 'green', 'blue', 'person']
PROMPTS = ['a photo of a cat', 'a photo of a dog', 'a red car', 'a picture of a bus']


# --- tokenizer -------------------------------------------------------------------------------

def bytes_to_unicode():
    """GPT-2's byte → printable character table, which CLIP's byte-level BPE uses."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_CHARS = bytes_to_unicode()


def build_vocab():
    base = [BYTE_CHARS[b] for b in range(256)]
    vocab = base + [c + '</w>' for c in base]
    merges = []
    for word in WORDS:
        symbols = list(word[:-1]) + [word[-1] + '</w>']
        while len(symbols) > 1:
            pair = (symbols[0], symbols[1])
            merged = pair[0] + pair[1]
            if pair not in merges:
                merges.append(pair)
            if merged not in vocab:
                vocab.append(merged)
            symbols = [merged] + symbols[2:]
    vocab += ['<|startoftext|>', '<|endoftext|>']
    return {token: i for i, token in enumerate(vocab)}, merges


VOCAB, MERGES = build_vocab()
BOS, EOS = VOCAB['<|startoftext|>'], VOCAB['<|endoftext|>']
SPLIT = r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"


def bpe(word):
    """Byte-level BPE of one word, merges applied by rank (what the tokenizers library does)."""
    symbols = [BYTE_CHARS[b] for b in word.encode('utf-8')]
    symbols[-1] += '</w>'
    ranks = {pair: i for i, pair in enumerate(MERGES)}
    while len(symbols) > 1:
        pairs = [(ranks.get((symbols[i], symbols[i + 1]), math.inf), i) for i in range(len(symbols) - 1)]
        rank, i = min(pairs)
        if rank == math.inf:
            break
        symbols = symbols[:i] + [symbols[i] + symbols[i + 1]] + symbols[i + 2:]
    return [VOCAB[s] for s in symbols]


def tokenize(text):
    """Enough of CLIP's tokenizer for the reference prompts: lower-case words of letters."""
    words = re.findall(r'[a-z]+', text.lower())
    return [BOS] + [t for w in words for t in bpe(w)] + [EOS]


def tokenizer_json():
    special = lambda i, content: {'id': i, 'content': content, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': True, 'special': True}
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [special(BOS, '<|startoftext|>'), special(EOS, '<|endoftext|>')],
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'NFC'},
            {'type': 'Replace', 'pattern': {'Regex': r'\s+'}, 'content': ' '},
            {'type': 'Lowercase'},
        ]},
        'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [
            {'type': 'Split', 'pattern': {'Regex': SPLIT}, 'behavior': 'Removed', 'invert': True},
            {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': False},
        ]},
        'post_processor': {'type': 'RobertaProcessing', 'sep': ['<|endoftext|>', EOS], 'cls': ['<|startoftext|>', BOS], 'trim_offsets': False, 'add_prefix_space': False},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {
            'type': 'BPE', 'dropout': None, 'unk_token': '<|endoftext|>', 'continuing_subword_prefix': '', 'end_of_word_suffix': '</w>',
            'fuse_unk': False, 'byte_fallback': False, 'vocab': VOCAB, 'merges': [f'{a} {b}' for a, b in MERGES],
        },
    }


# --- model -----------------------------------------------------------------------------------

def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class Layer(nn.Module):
    """One CLIP encoder layer: pre-norm self-attention, then a pre-norm MLP with quick GELU."""

    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(HIDDEN), nn.LayerNorm(HIDDEN)
        self.q, self.k, self.v, self.o = (nn.Linear(HIDDEN, HIDDEN) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(HIDDEN, INTERMEDIATE), nn.Linear(INTERMEDIATE, HIDDEN)

    def forward(self, x, bias):
        b, s, _ = x.shape
        d = HIDDEN // HEADS
        h = self.ln1(x)
        split = lambda t: t.reshape(b, s, HEADS, d).transpose(1, 2)
        q, k, v = split(self.q(h)) * d ** -0.5, split(self.k(h)), split(self.v(h))
        attention = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1)
        x = x + self.o((attention @ v).transpose(1, 2).reshape(b, s, HIDDEN))
        return x + self.fc2(quick_gelu(self.fc1(self.ln2(x))))


class Vision(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, HIDDEN, PATCH, PATCH, bias=False)
        self.cls = nn.Parameter(torch.randn(HIDDEN) * 0.02)
        self.positions = nn.Embedding((IMAGE // PATCH) ** 2 + 1, HIDDEN)
        self.pre, self.post = nn.LayerNorm(HIDDEN), nn.LayerNorm(HIDDEN)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.projection = nn.Linear(HIDDEN, PROJECTION, bias=False)

    def forward(self, pixel_values):
        patches = self.patch(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls.reshape(1, 1, HIDDEN).expand(patches.shape[0], 1, HIDDEN)
        x = self.pre(torch.cat([cls, patches], dim=1) + self.positions.weight)
        for layer in self.layers:
            x = layer(x, 0.0)
        return self.projection(self.post(x[:, 0])), x


class Text(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(len(VOCAB), HIDDEN)
        self.positions = nn.Embedding(MAX_POSITIONS, HIDDEN)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.final = nn.LayerNorm(HIDDEN)
        self.projection = nn.Linear(HIDDEN, PROJECTION, bias=False)

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        x = self.tokens(input_ids) + self.positions.weight[:s]
        steps = torch.arange(s)
        causal = (steps.reshape(1, s) > steps.reshape(s, 1)).float() * -1e4
        padding = (1.0 - attention_mask.float()).reshape(-1, 1, 1, s) * -1e4
        for layer in self.layers:
            x = layer(x, causal + padding)
        x = self.final(x)
        # Pooled at the first end-of-text token, as CLIPTextTransformer does.
        eos = (input_ids == EOS).int().argmax(dim=-1)
        pooled = x[torch.arange(x.shape[0]), eos]
        return self.projection(pooled), x


class Clip(nn.Module):
    def __init__(self, vision, text):
        super().__init__()
        self.vision, self.text = vision, text
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, input_ids, pixel_values, attention_mask):
        image, _ = self.vision(pixel_values)
        text, _ = self.text(input_ids, attention_mask)
        image = image / image.norm(dim=-1, keepdim=True)
        text = text / text.norm(dim=-1, keepdim=True)
        logits_per_text = self.logit_scale.exp() * text @ image.t()
        return logits_per_text.t(), logits_per_text, text, image


class TextOnly(nn.Module):
    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids, attention_mask):
        return self.text(input_ids, attention_mask)


# --- files -----------------------------------------------------------------------------------

def write_json(path, value):
    with open(path, 'w') as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write('\n')


def write_png(path, rgb):
    """A plain 8-bit RGB PNG (no PIL needed)."""
    h, w, _ = rgb.shape
    raw = b''.join(b'\x00' + rgb[y].tobytes() for y in range(h))
    chunk = lambda kind, data: struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def export(module, args, path, inputs, outputs, axes):
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes, opset_version=14, do_constant_folding=True)


def main():
    torch.manual_seed(0)
    vision, text = Vision().eval(), Text().eval()
    clip = Clip(vision, text).eval()
    os.makedirs(os.path.join(OUT, 'onnx'), exist_ok=True)

    v = len(VOCAB)
    write_json(os.path.join(OUT, 'config.json'), {
        '_name_or_path': 'argus/tiny-clip',
        'architectures': ['CLIPModel'],
        'model_type': 'clip',
        'projection_dim': PROJECTION,
        'logit_scale_init_value': math.log(1 / 0.07),
        'text_config': {
            'model_type': 'clip_text_model', 'vocab_size': v, 'hidden_size': HIDDEN, 'intermediate_size': INTERMEDIATE,
            'num_hidden_layers': LAYERS, 'num_attention_heads': HEADS, 'max_position_embeddings': MAX_POSITIONS,
            'hidden_act': 'quick_gelu', 'layer_norm_eps': 1e-5, 'projection_dim': PROJECTION,
            'bos_token_id': BOS, 'eos_token_id': EOS, 'pad_token_id': EOS,
        },
        'vision_config': {
            'model_type': 'clip_vision_model', 'hidden_size': HIDDEN, 'intermediate_size': INTERMEDIATE,
            'num_hidden_layers': LAYERS, 'num_attention_heads': HEADS, 'image_size': IMAGE, 'patch_size': PATCH,
            'num_channels': 3, 'hidden_act': 'quick_gelu', 'layer_norm_eps': 1e-5, 'projection_dim': PROJECTION,
        },
    })
    write_json(os.path.join(OUT, 'preprocessor_config.json'), {
        'crop_size': {'height': IMAGE, 'width': IMAGE}, 'do_center_crop': True, 'do_convert_rgb': True, 'do_normalize': True,
        'do_rescale': True, 'do_resize': True, 'feature_extractor_type': 'CLIPFeatureExtractor', 'image_mean': MEAN,
        'image_processor_type': 'CLIPImageProcessor', 'image_std': STD, 'resample': 3, 'rescale_factor': 1 / 255,
        'size': {'shortest_edge': IMAGE},
    })
    write_json(os.path.join(OUT, 'tokenizer.json'), tokenizer_json())
    write_json(os.path.join(OUT, 'tokenizer_config.json'), {
        'add_prefix_space': False, 'bos_token': '<|startoftext|>', 'clean_up_tokenization_spaces': True, 'do_lower_case': True,
        'eos_token': '<|endoftext|>', 'errors': 'replace', 'model_max_length': MAX_POSITIONS, 'pad_token': '<|endoftext|>',
        'processor_class': 'CLIPProcessor', 'tokenizer_class': 'CLIPTokenizer', 'unk_token': '<|endoftext|>',
    })
    write_json(os.path.join(OUT, 'vocab.json'), VOCAB)
    with open(os.path.join(OUT, 'merges.txt'), 'w') as f:
        f.write('#version: 0.2\n' + ''.join(f'{a} {b}\n' for a, b in MERGES))

    ids = torch.tensor([tokenize(PROMPTS[0])])
    mask = torch.ones_like(ids)
    pixels = torch.zeros(1, 3, IMAGE, IMAGE)
    onnx_dir = os.path.join(OUT, 'onnx')
    export(clip, (ids, pixels, mask), os.path.join(onnx_dir, 'model.onnx'), ['input_ids', 'pixel_values', 'attention_mask'],
           ['logits_per_image', 'logits_per_text', 'text_embeds', 'image_embeds'],
           {'input_ids': {0: 'text_batch_size', 1: 'sequence_length'}, 'attention_mask': {0: 'text_batch_size', 1: 'sequence_length'},
            'pixel_values': {0: 'image_batch_size'}, 'logits_per_image': {0: 'image_batch_size', 1: 'text_batch_size'},
            'logits_per_text': {0: 'text_batch_size', 1: 'image_batch_size'}, 'text_embeds': {0: 'text_batch_size'}, 'image_embeds': {0: 'image_batch_size'}})
    export(TextOnly(text), (ids, mask), os.path.join(onnx_dir, 'text_model.onnx'), ['input_ids', 'attention_mask'], ['text_embeds', 'last_hidden_state'],
           {'input_ids': {0: 'batch_size', 1: 'sequence_length'}, 'attention_mask': {0: 'batch_size', 1: 'sequence_length'},
            'text_embeds': {0: 'batch_size'}, 'last_hidden_state': {0: 'batch_size', 1: 'sequence_length'}})
    export(vision, (pixels,), os.path.join(onnx_dir, 'vision_model.onnx'), ['pixel_values'], ['image_embeds', 'last_hidden_state'],
           {'pixel_values': {0: 'batch_size'}, 'image_embeds': {0: 'batch_size'}, 'last_hidden_state': {0: 'batch_size'}})

    # The reference: a 32×32 image (resize and crop leave it unchanged) and the prompts, through PyTorch.
    yy, xx = np.mgrid[0:IMAGE, 0:IMAGE]
    rgb = np.stack([xx * 8, yy * 8, (xx + yy) * 4], axis=-1).clip(0, 255).astype(np.uint8)
    write_png(os.path.join(ROOT, 'tiny-clip.png'), rgb)
    pixel_values = ((torch.tensor(rgb, dtype=torch.float32) / 255 - torch.tensor(MEAN)) / torch.tensor(STD)).permute(2, 0, 1).unsqueeze(0)
    tokens = [tokenize(p) for p in PROMPTS]
    with torch.no_grad():
        image_embeds, _ = vision(pixel_values)
        text_embeds = [text(torch.tensor([t]), torch.ones(1, len(t), dtype=torch.long))[0][0] for t in tokens]
        normalised = torch.stack([t / t.norm() for t in text_embeds])
        logits = clip.logit_scale.exp() * (image_embeds[0] / image_embeds[0].norm()) @ normalised.t()
    write_json(os.path.join(ROOT, 'tiny-clip.reference.json'), {
        'comment': 'Written by scripts/make-tiny-clip.py: what PyTorch computes for tiny-clip.png and these prompts.',
        'image': 'tiny-clip.png',
        'prompts': PROMPTS,
        'input_ids': tokens,
        'image_embeds': [round(float(x), 7) for x in image_embeds[0]],
        'text_embeds': [[round(float(x), 7) for x in t] for t in text_embeds],
        'logits_per_image': [round(float(x), 6) for x in logits],
    })
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f'wrote {OUT} ({total / 1024:.0f} KiB, vocabulary {v}) and the reference for {len(PROMPTS)} prompts')


if __name__ == '__main__':
    main()
