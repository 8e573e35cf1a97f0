import { describe, expect, it } from 'vitest';
import { dtypesFromFiles } from './chat-vlm.js';

describe('dtypesFromFiles', () => {
  it('gives each ONNX session the dtype of the variant a manifest pulled', () => {
    expect(dtypesFromFiles(['vision_encoder_quantized.onnx', 'embed_tokens_fp16.onnx', 'decoder_model_merged_q4.onnx'])).toEqual({
      vision_encoder: 'q8', embed_tokens: 'fp16', decoder_model_merged: 'q4',
    });
  });

  it('prefers int8, then fp32, when several variants are present (a full clone)', () => {
    expect(dtypesFromFiles(['decoder_model_merged.onnx', 'decoder_model_merged_q4f16.onnx', 'decoder_model_merged_quantized.onnx'])).toEqual({ decoder_model_merged: 'q8' });
    expect(dtypesFromFiles(['decoder_model_merged.onnx', 'decoder_model_merged_q4f16.onnx', 'decoder_model_merged.onnx_data'])).toEqual({ decoder_model_merged: 'fp32' });
  });
});
