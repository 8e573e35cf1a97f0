#!/usr/bin/python3
"""
Generates test/fixtures/tiny-vlm/: a TINY SmolVLM (Idefics3) model folder with random weights, in
exactly the layout transformers.js 4.x loads for HuggingFaceTB/SmolVLM-256M-Instruct and
SmolVLM-500M-Instruct (the `vlm-fast` / `vlm-best` manifests in catalog/):

  config.json, generation_config.json          model_type idefics3, text_config (llama), vision_config
  preprocessor_config.json, processor_config.json   Idefics3ImageProcessor / Idefics3Processor, image_seq_len
  tokenizer.json, tokenizer_config.json        byte-level BPE, SmolVLM's special tokens and chat template
  onnx/vision_encoder_quantized.onnx           pixel_values [batch_size, num_images, 3, height, width] f32,
                                               pixel_attention_mask [batch_size, num_images, height, width] bool
                                               -> image_features [num_images, image_seq_len, hidden] f32
  onnx/embed_tokens_quantized.onnx             input_ids [batch_size, sequence_length] i64
                                               -> inputs_embeds [batch_size, sequence_length, hidden] f32
  onnx/decoder_model_merged_quantized.onnx     inputs_embeds, attention_mask [batch_size, total_sequence_length] i64,
                                               position_ids [batch_size, sequence_length] i64,
                                               past_key_values.{i}.key/.value [batch_size, kv_heads, past_sequence_length, head_dim] f32
                                               -> logits [batch_size, sequence_length, vocab] f32, present.{i}.key/.value

The `_quantized` (q8) exports the manifests pull keep float32 inputs and outputs (dynamic
quantisation changes only the weights inside the graph), so these float32 graphs have the same
contract under the same file names. Dimension names matter: transformers.js builds the empty
first-step KV cache from the decoder's declared input shapes, resolving `batch_size` and treating
any other symbolic dimension as 0.

Deterministic (fixed seed, no timestamps); the whole folder stays well under 2 MB.
Run with the Debian interpreter (torch 1.13 + onnx 1.12): /usr/bin/python3 scripts/make-tiny-vlm.py
"""
import json
import math
import os
import sys

import onnx
import torch
from torch import nn

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'tiny-vlm'))
OPSET = 14

# Text model (a llama-style decoder, as SmolVLM's SmolLM2), vision tower and connector: all tiny.
HIDDEN = 16
HEADS = 2
KV_HEADS = 1
HEAD_DIM = HIDDEN // HEADS
LAYERS = 2
INTERMEDIATE = 32
VISION_HIDDEN = 16
PATCH = 8
TILE = 32  # max_image_size.longest_edge: each tile the vision encoder sees is TILE x TILE
SCALE_FACTOR = 2  # pixel shuffle, as Idefics3's connector
IMAGE_SEQ_LEN = (TILE // PATCH) ** 2 // SCALE_FACTOR ** 2  # 4 tokens per tile
RESIZE_LONGEST = 64  # size.longest_edge: images are resized to this, then split into tiles

# ---------------------------------------------------------------------------------------------
# Tokenizer: byte-level BPE like SmolLM2's, with SmolVLM's special tokens.

LEADING_SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']


def bytes_to_unicode():
    """GPT-2's reversible byte → printable character map, as the ByteLevel pre-tokenizer uses."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def build_tokenizer():
    vocab = {}
    for token in LEADING_SPECIALS:
        vocab[token] = len(vocab)
    byte_chars = bytes_to_unicode()
    for b in range(256):
        vocab[byte_chars[b]] = len(vocab)
    # A few merges so the BPE model really merges ("Ġ" is the byte-level space).
    merge_pairs = [('Ġ', 't'), ('h', 'e'), ('Ġt', 'he'), ('i', 'n'), ('e', 'r'), ('a', 'n'), ('Ġ', 'a'), ('o', 'n'),
                   ('Ġ', 'i'), ('i', 's'), ('Ġ', 'c'), ('a', 't'), ('Ġc', 'at'), ('Ġ', 'b'), ('u', 's'), ('Ġb', 'us')]
    merges = []
    for a, b in merge_pairs:
        vocab[a + b] = len(vocab)
        merges.append(f'{a} {b}')
    added = ['<fake_token_around_image>', '<image>', '<end_of_utterance>', '<global-img>']
    added += [f'<row_{r}_col_{c}>' for r in range(1, 7) for c in range(1, 7)]
    added_tokens = []
    for token in LEADING_SPECIALS:
        added_tokens.append({'id': vocab[token], 'content': token, 'single_word': False, 'lstrip': False,
                             'rstrip': False, 'normalized': False, 'special': True})
    for token in added:
        vocab[token] = len(vocab)
        added_tokens.append({'id': vocab[token], 'content': token, 'single_word': False, 'lstrip': False,
                             'rstrip': False, 'normalized': False, 'special': True})
    byte_level = {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True}
    tokenizer = {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': added_tokens,
        'normalizer': None,
        'pre_tokenizer': byte_level,
        'post_processor': byte_level,
        'decoder': byte_level,
        'model': {
            'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': None,
            'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
            'vocab': vocab, 'merges': merges,
        },
    }
    return tokenizer, vocab, added_tokens


# SmolVLM's chat template (tokenizer_config.json of HuggingFaceTB/SmolVLM-256M-Instruct).
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

# ---------------------------------------------------------------------------------------------
# Graphs.


class VisionEncoder(nn.Module):
    """Patch embedding + one MLP block + Idefics3's pixel shuffle + connector projection."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, VISION_HIDDEN, kernel_size=PATCH, stride=PATCH)
        self.position = nn.Parameter(torch.randn((TILE // PATCH) ** 2, VISION_HIDDEN) * 0.5)
        self.norm = nn.LayerNorm(VISION_HIDDEN)
        self.mlp = nn.Sequential(nn.Linear(VISION_HIDDEN, INTERMEDIATE), nn.GELU(), nn.Linear(INTERMEDIATE, VISION_HIDDEN))
        self.connector = nn.Linear(VISION_HIDDEN * SCALE_FACTOR ** 2, HIDDEN, bias=False)

    def forward(self, pixel_values, pixel_attention_mask):
        channels, height, width = pixel_values.shape[2], pixel_values.shape[3], pixel_values.shape[4]
        images = pixel_values.reshape(-1, channels, height, width)
        mask = pixel_attention_mask.reshape(-1, 1, height, width).to(images.dtype)
        # As Idefics3: padding images (all zeros) are dropped before the vision tower.
        real = (images == 0.0).sum(dim=(-1, -2, -3)) != channels * height * width
        images = images[real] * mask[real]
        x = self.patch(images).flatten(2).transpose(1, 2) + self.position
        x = x + self.mlp(self.norm(x))
        n, seq, dim = x.shape
        side = int(math.sqrt((TILE // PATCH) ** 2))
        s = SCALE_FACTOR
        x = x.reshape(n, side, side // s, dim * s).permute(0, 2, 1, 3)
        x = x.reshape(n, side // s, side // s, dim * s * s).permute(0, 2, 1, 3)
        x = x.reshape(n, IMAGE_SEQ_LEN, dim * s * s)
        return self.connector(x)


class EmbedTokens(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, HIDDEN)

    def forward(self, input_ids):
        return self.embed(input_ids)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_norm = RMSNorm(HIDDEN)
        self.q = nn.Linear(HIDDEN, HEADS * HEAD_DIM, bias=False)
        self.k = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.v = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.o = nn.Linear(HEADS * HEAD_DIM, HIDDEN, bias=False)
        self.post_norm = RMSNorm(HIDDEN)
        self.gate = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.up = nn.Linear(HIDDEN, INTERMEDIATE, bias=False)
        self.down = nn.Linear(INTERMEDIATE, HIDDEN, bias=False)

    def forward(self, x, cos, sin, bias, past_key, past_value):
        b, seq, _ = x.shape
        h = self.input_norm(x)
        q = self.q(h).reshape(b, seq, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k(h).reshape(b, seq, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v(h).reshape(b, seq, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        key = torch.cat([past_key, k], dim=2)
        value = torch.cat([past_value, v], dim=2)
        groups = HEADS // KV_HEADS
        # Grouped-query attention: each KV head serves `groups` query heads (expand, not
        # repeat_interleave, whose export bakes in the traced sequence length).
        keys = key.unsqueeze(2).expand(-1, -1, groups, -1, -1).reshape(b, HEADS, -1, HEAD_DIM)
        values = value.unsqueeze(2).expand(-1, -1, groups, -1, -1).reshape(b, HEADS, -1, HEAD_DIM)
        scores = torch.matmul(q, keys.transpose(2, 3)) / math.sqrt(HEAD_DIM) + bias
        attended = torch.matmul(torch.softmax(scores, dim=-1), values)
        x = x + self.o(attended.transpose(1, 2).reshape(b, seq, HEADS * HEAD_DIM))
        h = self.post_norm(x)
        x = x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))
        return x, key, value


class Decoder(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.norm = RMSNorm(HIDDEN)
        self.lm_head = nn.Linear(HIDDEN, vocab_size, bias=False)
        self.register_buffer('inv_freq', 1.0 / (10000 ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM)), persistent=False)

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        seq = inputs_embeds.shape[1]
        total = attention_mask.shape[1]
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        # Causal mask over [past + new] keys, and the padding in attention_mask.
        query_pos = torch.arange(seq).unsqueeze(1) + (total - seq)
        key_pos = torch.arange(total).unsqueeze(0)
        allowed = (key_pos <= query_pos).unsqueeze(0).unsqueeze(0) & (attention_mask[:, None, None, :] > 0)
        bias = (~allowed).float() * -1e9
        x = inputs_embeds
        presents = []
        for i, layer in enumerate(self.layers):
            x, key, value = layer(x, cos, sin, bias, past[2 * i], past[2 * i + 1])
            presents += [key, value]
        return (self.lm_head(self.norm(x)), *presents)


def export(module, args, path, inputs, outputs, axes, fixed_dims=None):
    fixed_dims = fixed_dims or {}
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                      opset_version=OPSET, do_constant_folding=True)
    model = onnx.load(path)
    # Name every output dimension the way the real exports do (the exporter invents names for
    # dimensions it cannot follow through a reshape).
    for output in model.graph.output:
        for dim, name in zip(output.type.tensor_type.shape.dim, fixed_dims.get(output.name, [])):
            if name is not None:
                dim.Clear()
                if isinstance(name, int):
                    dim.dim_value = name
                else:
                    dim.dim_param = name
    onnx.checker.check_model(model)
    # Strip the producer version so the file does not change with the exporter's patch level.
    model.producer_version = ''
    onnx.save(model, path)


def main():
    torch.manual_seed(0)
    os.makedirs(os.path.join(OUT, 'onnx'), exist_ok=True)
    tokenizer, vocab, added_tokens = build_tokenizer()
    vocab_size = len(vocab)
    image_token_id = vocab['<image>']

    vision, embed, decoder = VisionEncoder().eval(), EmbedTokens(vocab_size).eval(), Decoder(vocab_size).eval()
    with torch.no_grad():
        # Spread the logits so random sampling visits many tokens (the text is gibberish either way).
        decoder.lm_head.weight.mul_(40.0)

        pixels = torch.randn(1, 2, 3, TILE, TILE)
        export(vision, (pixels, torch.ones(1, 2, TILE, TILE, dtype=torch.bool)),
               os.path.join(OUT, 'onnx', 'vision_encoder_quantized.onnx'),
               ['pixel_values', 'pixel_attention_mask'], ['image_features'],
               {'pixel_values': {0: 'batch_size', 1: 'num_images', 3: 'height', 4: 'width'},
                'pixel_attention_mask': {0: 'batch_size', 1: 'num_images', 2: 'height', 3: 'width'},
                'image_features': {0: 'num_images_total'}},
               {'image_features': ['num_images_total', IMAGE_SEQ_LEN, HIDDEN]})

        export(embed, (torch.tensor([[1, 2, 3]], dtype=torch.int64),),
               os.path.join(OUT, 'onnx', 'embed_tokens_quantized.onnx'),
               ['input_ids'], ['inputs_embeds'],
               {'input_ids': {0: 'batch_size', 1: 'sequence_length'},
                'inputs_embeds': {0: 'batch_size', 1: 'sequence_length'}})

        past_names, present_names, axes = [], [], {
            'inputs_embeds': {0: 'batch_size', 1: 'sequence_length'},
            'attention_mask': {0: 'batch_size', 1: 'total_sequence_length'},
            'position_ids': {0: 'batch_size', 1: 'sequence_length'},
            'logits': {0: 'batch_size', 1: 'sequence_length'},
        }
        for i in range(LAYERS):
            for kind in ('key', 'value'):
                past_names.append(f'past_key_values.{i}.{kind}')
                present_names.append(f'present.{i}.{kind}')
                axes[past_names[-1]] = {0: 'batch_size', 2: 'past_sequence_length'}
                axes[present_names[-1]] = {0: 'batch_size', 2: 'total_sequence_length'}
        past = [torch.randn(1, KV_HEADS, 2, HEAD_DIM) for _ in range(2 * LAYERS)]
        export(decoder, (torch.randn(1, 3, HIDDEN), torch.ones(1, 5, dtype=torch.int64),
                         torch.tensor([[2, 3, 4]], dtype=torch.int64), *past),
               os.path.join(OUT, 'onnx', 'decoder_model_merged_quantized.onnx'),
               ['inputs_embeds', 'attention_mask', 'position_ids', *past_names], ['logits', *present_names], axes)

    text_config = {
        'model_type': 'llama', 'architectures': ['VLlama3ForCausalLM'], 'hidden_size': HIDDEN,
        'intermediate_size': INTERMEDIATE, 'num_attention_heads': HEADS, 'num_key_value_heads': KV_HEADS,
        'num_hidden_layers': LAYERS, 'head_dim': HEAD_DIM, 'vocab_size': vocab_size, 'max_position_embeddings': 8192,
        'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'hidden_act': 'silu', 'tie_word_embeddings': False,
    }
    vision_config = {
        'model_type': 'idefics3_vision', 'hidden_size': VISION_HIDDEN, 'intermediate_size': INTERMEDIATE,
        'num_hidden_layers': 1, 'num_attention_heads': 2, 'image_size': TILE, 'patch_size': PATCH,
    }
    eou = vocab['<end_of_utterance>']
    files = {
        'config.json': {
            'architectures': ['Idefics3ForConditionalGeneration'], 'model_type': 'idefics3',
            'image_token_id': image_token_id, 'scale_factor': SCALE_FACTOR, 'vocab_size': vocab_size,
            'pad_token_id': vocab['<|im_end|>'], 'tie_word_embeddings': False, 'torch_dtype': 'float32',
            'text_config': text_config, 'vision_config': vision_config,
            '_comment': 'TINY random-weight stand-in for HuggingFaceTB/SmolVLM-256M-Instruct, made by scripts/make-tiny-vlm.py',
        },
        'generation_config.json': {'bos_token_id': vocab['<|im_start|>'], 'eos_token_id': eou, 'pad_token_id': vocab['<|im_end|>']},
        'preprocessor_config.json': {
            'do_convert_rgb': True, 'do_image_splitting': True, 'do_normalize': True, 'do_pad': True,
            'do_rescale': True, 'do_resize': True, 'image_mean': [0.5, 0.5, 0.5], 'image_std': [0.5, 0.5, 0.5],
            'image_processor_type': 'Idefics3ImageProcessor', 'processor_class': 'Idefics3Processor',
            'max_image_size': {'longest_edge': TILE}, 'size': {'longest_edge': RESIZE_LONGEST},
            'resample': 1, 'rescale_factor': 1 / 255,
        },
        'processor_config.json': {'image_seq_len': IMAGE_SEQ_LEN, 'processor_class': 'Idefics3Processor'},
        'tokenizer.json': tokenizer,
        'tokenizer_config.json': {
            'add_prefix_space': False, 'bos_token': '<|im_start|>', 'eos_token': '<end_of_utterance>',
            'pad_token': '<|im_end|>', 'unk_token': '<|endoftext|>', 'model_max_length': 8192,
            'clean_up_tokenization_spaces': False, 'tokenizer_class': 'GPT2Tokenizer', 'processor_class': 'Idefics3Processor',
            'legacy': False, 'chat_template': CHAT_TEMPLATE,
            'added_tokens_decoder': {str(t['id']): {k: v for k, v in t.items() if k != 'id'} for t in added_tokens},
        },
    }
    for name, content in files.items():
        with open(os.path.join(OUT, name), 'w', encoding='utf-8') as f:
            json.dump(content, f, indent=1, ensure_ascii=False, sort_keys=False)
            f.write('\n')
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f'wrote {OUT} ({total} bytes, vocab {vocab_size}, image token {image_token_id}, {IMAGE_SEQ_LEN} tokens per tile)')
    if total > 2 * 1024 * 1024:
        sys.exit('the tiny model grew past 2 MB')


if __name__ == '__main__':
    main()
