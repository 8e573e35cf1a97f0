#!/usr/bin/python3
"""Generates test/fixtures/tiny-vit/: a Hugging Face image-classifier folder for tests.

It has the files and tensor names transformers.js loads for a ViT classifier such as
Xenova/vit-base-patch16-224 (config.json with model_type "vit" and id2label,
preprocessor_config.json for ViTImageProcessor, onnx/model.onnx taking `pixel_values` and
returning `logits`), but the graph is a stand-in whose answer is known: the logits are ten times
the mean of each normalised colour channel, with labels red, green and blue. A red image must
come back "red"; that checks the whole path (decode, the processor's resize and normalisation,
channel order, the model run, softmax and the labels) without real weights. It also returns the
channel means as `pooler_output`, so the same folder stands in for an image feature extractor.

Run with Debian's python (torch 1.13, onnx): /usr/bin/python3 scripts/make-tiny-hf-classifier.py
"""
import json
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'tiny-vit')
SIZE = 16
LABELS = ['red', 'green', 'blue']


class ChannelMeans(nn.Module):
    def forward(self, pixel_values):
        means = pixel_values.mean(dim=(2, 3))
        return means * 10.0, means


def write_json(path, value):
    with open(path, 'w') as f:
        json.dump(value, f, indent=2)
        f.write('\n')


def main():
    os.makedirs(os.path.join(OUT, 'onnx'), exist_ok=True)
    write_json(os.path.join(OUT, 'config.json'), {
        '_name_or_path': 'argus/tiny-vit',
        'architectures': ['ViTForImageClassification'],
        'model_type': 'vit',
        'image_size': SIZE,
        'num_channels': 3,
        'id2label': {str(i): label for i, label in enumerate(LABELS)},
        'label2id': {label: i for i, label in enumerate(LABELS)},
    })
    write_json(os.path.join(OUT, 'preprocessor_config.json'), {
        'do_normalize': True, 'do_rescale': True, 'do_resize': True, 'image_mean': [0.5, 0.5, 0.5], 'image_std': [0.5, 0.5, 0.5],
        'image_processor_type': 'ViTImageProcessor', 'feature_extractor_type': 'ViTFeatureExtractor', 'resample': 2,
        'rescale_factor': 1 / 255, 'size': {'height': SIZE, 'width': SIZE},
    })
    torch.onnx.export(ChannelMeans(), (torch.zeros(1, 3, SIZE, SIZE),), os.path.join(OUT, 'onnx', 'model.onnx'),
                      input_names=['pixel_values'], output_names=['logits', 'pooler_output'],
                      dynamic_axes={'pixel_values': {0: 'batch_size'}, 'logits': {0: 'batch_size'}, 'pooler_output': {0: 'batch_size'}}, opset_version=14)
    print(f'wrote {OUT}')


if __name__ == '__main__':
    main()
