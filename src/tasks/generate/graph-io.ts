/**
 * Feeding and reading the component graphs of a diffusion export in whatever element types they
 * were exported with: optimum writes float32 graphs with int64 token ids, Olive's onnxruntime
 * builds take and return float16 and int32. The pipeline computes in float32 and converts at the
 * graph boundary, as diffusers' ONNX pipelines cast to each input's declared type.
 */
import type { IoSpec, RuntimeSession, TensorData } from '../../runtimes/types.js';
import { float16ToFloat32, float32ToFloat16 } from '../../vision/float16.js';

/** The declared input `name` of a graph, or an error naming the graph and what it has instead. */
export function requireInput(session: RuntimeSession, graph: string, name: string): IoSpec {
  const input = session.inputs.find((i) => i.name === name);
  if (!input) throw new Error(`${graph} has no input '${name}' (it has ${session.inputs.map((i) => i.name).join(', ')})`);
  return input;
}

/** The output called `name` when the graph has one, else its first output. */
export function pickOutput(session: RuntimeSession, name: string): string {
  return (session.outputs.find((o) => o.name === name) ?? session.outputs[0]).name;
}

/** A tensor for `input` from float32 values, in the element type the graph declares. */
export function toInput(input: IoSpec, values: Float32Array, dims: readonly number[]): TensorData {
  switch (input.type) {
    case 'float32':
      return { type: 'float32', data: values, dims };
    case 'float16':
      return { type: 'float16', data: float32ToFloat16(values), dims };
    // Integer inputs (token ids, and timesteps in some exports) take the value truncated, as numpy's astype does.
    case 'int64':
      return { type: 'int64', data: BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))), dims };
    case 'int32':
      return { type: 'int32', data: Int32Array.from(values, (v) => Math.trunc(v)), dims };
    default:
      throw new Error(`input ${input.name} has element type ${input.type}, which the diffusion pipeline does not feed`);
  }
}

/** An output's values as float32, whatever floating type the graph returned. */
export function toFloat32(tensor: TensorData): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  throw new Error(`expected a floating-point output, got ${tensor.type}`);
}

/** Runs a graph and returns one output as float32 with its dimensions. */
export async function runGraph(session: RuntimeSession, feeds: Record<string, TensorData>, output: string): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const outputs = await session.run(feeds, [output]);
  const tensor = outputs[output];
  return { data: toFloat32(tensor), dims: tensor.dims };
}
