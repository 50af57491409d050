"""Would embedding concurrent queries in one model call pay on this CPU, if each query's vector stayed
exactly what it is alone?

    .venv/bin/python bench/query_batching.py [--queries ../shared/eval/dev_queries.jsonl] [--rounds 3]

The int8 graph quantises its activations with one scale per call, so a query batched with others gets
another vector (cosine 0.996), which is why the product embeds each query in a call of its own. This
builds a variant of that graph in a temporary folder that quantises per query instead:
- each DynamicQuantizeLinear becomes the same formula over one batch row (padding masked to 0, which the
  range holds anyway), applied by QuantizeLinear along the batch axis;
- each integer product runs without the activation zero point (ONNX Runtime takes only a scalar one) and
  subtracts zero point × column sums of the weights after, in int32: the same integers;
- each QAttention becomes that product, its scales, and MultiHeadAttention;
- mean pooling and normalising run per query in a Scan, on the query's own rows, with the graph's nodes.
It checks the variant bit for bit (alone against the int8 graph, batched against alone) and prints the
CPU per query of the int8 graph alone and of the variant in batches of 1 to 8 queries, rounds interleaved.

Measured on an AVX2 EPYC (docs/benchmarks.md): identical vectors, but at best a fifth less CPU for full
batches of similar lengths, and fewer searches a second over HTTP, where batches are a few queries of
unrelated lengths. Worth rerunning on a CPU with VNNI or AMX, where the integer products are cheaper.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from indexer.embedding.export import exported_graph
from indexer.embedding.hardware import cpu_flags
from indexer.embedding.info import REPORTED_FLAGS
from indexer.embedding.runtimes import OnnxRuntimeRunner
from indexer.embedding.tokens import TextTokenizer, padded

REPOSITORY = Path(__file__).resolve().parent.parent
DEV_QUERIES = REPOSITORY.parent / "shared" / "eval" / "dev_queries.jsonl"
FALLBACK_QUERIES = ["招商引资", "优化营商环境", "乡村振兴", "脱贫攻坚取得的成效", "新质生产力", "粮食安全"]
BATCH_SIZES = (1, 2, 4, 8)
# Timed: typed queries only; a pasted paragraph padded into a batch of short ones would dominate it.
TIMED_TOKENS = 32
POOLED = "embedding"  # the graph's output: mean-pooled, unit-length vectors


def constant(graph: onnx.GraphProto, name: str, value: np.ndarray) -> str:
    graph.initializer.append(numpy_helper.from_array(value, name))
    return name


def quantize_per_row(node: onnx.NodeProto, mask: str) -> list[onnx.NodeProto]:
    """DynamicQuantizeLinear's formula (ONNX Runtime's rounding included) over each batch row; the zero
    point comes out as int32 [B, 1, 1] for the correction after the integer product."""
    x, (quantized, scale, zero_point) = node.input[0], node.output
    p = quantized + "/row_"

    def make(op: str, inputs: list[str], output: str, **attributes: object) -> onnx.NodeProto:
        return helper.make_node(op, inputs, [output], **attributes)

    return [
        make("Mul", [x, mask], p + "masked"),
        make("ReduceMin", [p + "masked"], p + "min", axes=[1, 2], keepdims=1),
        make("ReduceMax", [p + "masked"], p + "max", axes=[1, 2], keepdims=1),
        make("Min", [p + "min", "row/zero"], p + "low"),
        make("Max", [p + "max", "row/zero"], p + "high"),
        make("Sub", [p + "high", p + "low"], p + "range"),
        make("Div", [p + "range", "row/255"], scale),
        make("Div", [p + "low", scale], p + "low_steps"),
        make("Neg", [p + "low_steps"], p + "zero_float"),
        make("Clip", [p + "zero_float", "row/zero", "row/255"], p + "zero_clipped"),
        make("Round", [p + "zero_clipped"], p + "zero_rounded"),
        make("Cast", [p + "zero_rounded"], p + "zero_u8", to=TensorProto.UINT8),
        make("Cast", [p + "zero_rounded"], zero_point, to=TensorProto.INT32),
        make("Reshape", [scale, "row/flat"], p + "scales"),
        make("Reshape", [p + "zero_u8", "row/flat"], p + "zeros"),
        make("QuantizeLinear", [x, p + "scales", p + "zeros"], quantized, axis=0),
    ]


def integer_product(
    graph: onnx.GraphProto, weights: dict[str, np.ndarray], a: str, a_zero: str, w: str, w_zero: str, out: str
) -> list[onnx.NodeProto]:
    """(A - a_zero) @ (W - w_zero) in int32 with a per-row a_zero: A @ (W - w_zero) - a_zero × colsum."""
    columns = (weights[w].astype(np.int32) - weights[w_zero].astype(np.int32)).sum(axis=0, dtype=np.int32)
    sums = constant(graph, w + "/column_sums", columns)  # each weight feeds one product
    return [
        helper.make_node("MatMulInteger", [a, w, "", w_zero], [out + "/raw"]),
        helper.make_node("Mul", [a_zero, sums], [out + "/offset"]),
        helper.make_node("Sub", [out + "/raw", out + "/offset"], [out]),
    ]


def attention(
    graph: onnx.GraphProto, weights: dict[str, np.ndarray], node: onnx.NodeProto
) -> list[onnx.NodeProto]:
    """QAttention as its integer QKV product, dequantised, then MultiHeadAttention on Q, K and V."""
    a, w, bias, a_scale, w_scale, mask_index, a_zero, w_zero = node.input[:8]
    out = node.output[0]
    heads = next(attribute.i for attribute in node.attribute if attribute.name == "num_heads")
    width = weights[w].shape[1] // 3
    split = constant(graph, out + "/split", np.array([width] * 3, dtype=np.int64))
    return [
        *integer_product(graph, weights, a, a_zero, w, w_zero, out + "/qkv_int"),
        helper.make_node("Cast", [out + "/qkv_int"], [out + "/qkv_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", [a_scale, w_scale], [out + "/scales"]),
        helper.make_node("Mul", [out + "/qkv_float", out + "/scales"], [out + "/qkv"]),
        helper.make_node("Split", [out + "/qkv", split], [out + "/q", out + "/k", out + "/v"], axis=2),
        helper.make_node(
            "MultiHeadAttention",
            [out + "/q", out + "/k", out + "/v", bias, mask_index],
            [out],
            domain="com.microsoft",
            num_heads=heads,
        ),
    ]


def pooling_per_query(
    nodes: list[onnx.NodeProto], states: str
) -> tuple[onnx.NodeProto, list[onnx.NodeProto]]:
    """A Scan over the batch running the graph's own pooling nodes on each query's rows alone (ReduceSum
    picks its order of additions by shape, so a batched sum differs in the last bit); and those nodes."""
    producers = {output: node for node in nodes for output in node.output}
    tail: list[onnx.NodeProto] = []
    pending = [POOLED]
    while pending:
        node = producers.get(pending.pop())
        if node is None or node in tail or node.op_type == "Constant":
            continue
        tail.append(node)
        pending.extend(name for name in node.input if name and name not in (states, "attention_mask"))
    tail = [node for node in nodes if node in tail]  # in graph order
    renamed = {states: "one/states", "attention_mask": "one/mask", POOLED: "one/pooled"}
    body = [
        helper.make_node("ReduceSum", ["row/mask", "row/axis0"], ["one/length"], keepdims=1),
        helper.make_node("Slice", ["row/states", "row/start", "one/length", "row/axis0"], ["one/rows"]),
        helper.make_node("Slice", ["row/mask", "row/start", "one/length", "row/axis0"], ["one/ones"]),
        helper.make_node("Unsqueeze", ["one/rows", "row/axis0"], ["one/states"]),
        helper.make_node("Unsqueeze", ["one/ones", "row/axis0"], ["one/mask"]),
    ]
    for node in tail:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.input[:] = [renamed.get(name, name) for name in node.input]
        copy.output[:] = [renamed.get(name, name) for name in node.output]
        body.append(copy)
    body.append(helper.make_node("Squeeze", ["one/pooled", "row/axis0"], ["row/vector"]))
    scan_body = helper.make_graph(
        body,
        "pool_one_query",
        [
            helper.make_tensor_value_info("row/states", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("row/mask", TensorProto.INT64, None),
        ],
        [helper.make_tensor_value_info("row/vector", TensorProto.FLOAT, None)],
    )
    scan = helper.make_node("Scan", [states, "attention_mask"], [POOLED], body=scan_body, num_scan_inputs=2)
    return scan, tail


def used(nodes: list[onnx.NodeProto], outputs: list[str]) -> list[onnx.NodeProto]:
    """The nodes the outputs need, counting names a subgraph reads from the graph."""
    needed, kept = set(outputs), []
    for node in reversed(nodes):
        if any(output in needed for output in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    needed.update(name for inner in attribute.g.node for name in inner.input if name)
    return kept[::-1]


def row_wise_graph(source: Path, target: Path) -> None:
    """Write the per-query variant of the int8 graph `source` to `target`."""
    model = onnx.load(source)
    graph = model.graph
    weights = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    constant(graph, "row/zero", np.array(0.0, dtype=np.float32))
    constant(graph, "row/255", np.array(255.0, dtype=np.float32))
    constant(graph, "row/flat", np.array([-1], dtype=np.int64))
    constant(graph, "row/axis0", np.array([0], dtype=np.int64))
    constant(graph, "row/start", np.array([0], dtype=np.int64))
    constant(graph, "row/axis2", np.array([2], dtype=np.int64))
    nodes = [
        helper.make_node("Cast", ["attention_mask"], ["row/mask_float"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["row/mask_float", "row/axis2"], ["row/mask3"]),
    ]
    originals = list(graph.node)
    for node in originals:
        if node.op_type == "DynamicQuantizeLinear":
            nodes += quantize_per_row(node, "row/mask3")
        elif node.op_type == "MatMulInteger":
            a, w, a_zero, w_zero = node.input
            nodes += integer_product(graph, weights, a, a_zero, w, w_zero, node.output[0])
        elif node.op_type == "QAttention":
            nodes += attention(graph, weights, node)
        else:
            nodes.append(node)
    states = [node for node in originals if node.op_type == "SkipLayerNormalization"][-1].output[0]
    scan, tail = pooling_per_query(originals, states)
    nodes = [node for node in nodes if node not in tail] + [scan]
    del graph.node[:]
    graph.node.extend(used(nodes, [output.name for output in graph.output]))
    onnx.save(model, target)


def load_queries(path: Path) -> list[str]:
    if not path.exists():
        print(f"{path} not present: {len(FALLBACK_QUERIES)} built-in queries")
        return FALLBACK_QUERIES
    return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line]


def embed(runner: OnnxRuntimeRunner, ids: list[list[int]], rows: list[int]) -> np.ndarray:
    batch = padded(rows, ids, max(len(ids[row]) for row in rows))
    return runner(batch.input_ids, batch.attention_mask)


def cpu_ms_per_query(runner: OnnxRuntimeRunner, ids: list[list[int]], size: int) -> float:
    """Batches of queries of neighbouring lengths (the best case for batching: little padding)."""
    by_length = sorted(range(len(ids)), key=lambda row: len(ids[row]))
    started = time.process_time()
    for start in range(0, len(ids), size):
        embed(runner, ids, by_length[start : start + size])
    return (time.process_time() - started) * 1000 / len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPOSITORY / "models" / "m3e-small")
    parser.add_argument("--queries", type=Path, default=DEV_QUERIES)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=40, help="random batches compared with alone")
    arguments = parser.parse_args()

    queries = load_queries(arguments.queries)
    ids = TextTokenizer(arguments.model_dir, 512).ids(queries)
    int8 = exported_graph(arguments.model_dir, "int8")
    with tempfile.TemporaryDirectory() as folder:
        variant_path = Path(folder) / "row-wise.onnx"
        row_wise_graph(int8, variant_path)
        original, variant = OnnxRuntimeRunner(int8), OnnxRuntimeRunner(variant_path)

    alone = np.concatenate([embed(original, ids, [row]) for row in range(len(ids))])
    variant_alone = np.concatenate([embed(variant, ids, [row]) for row in range(len(ids))])
    same_alone = int(np.all(alone == variant_alone, axis=1).sum())
    generator = np.random.default_rng(0)
    differing = 0
    for _ in range(arguments.trials):
        rows = list(
            generator.choice(len(ids), size=min(len(ids), int(generator.integers(2, 9))), replace=False)
        )
        differing += int(not np.array_equal(embed(variant, ids, rows), variant_alone[rows]))

    typed = [row for row in ids if len(row) <= TIMED_TOKENS]
    timings: dict[str, list[float]] = {"int8 graph, alone": []}
    timings.update({f"per-query graph, batches of {size}": [] for size in BATCH_SIZES})
    for _ in range(arguments.rounds):
        timings["int8 graph, alone"].append(cpu_ms_per_query(original, typed, 1))
        for size in BATCH_SIZES:
            timings[f"per-query graph, batches of {size}"].append(cpu_ms_per_query(variant, typed, size))

    print(f"cpu flags: {' '.join(sorted(cpu_flags() & REPORTED_FLAGS)) or '-'}; {os.cpu_count()} CPUs")
    tokens = statistics.mean(len(row) for row in typed)
    print(f"{len(ids)} queries; ONNX Runtime with the product's session options")
    print(f"alone, per-query graph = int8 graph bit for bit: {same_alone} of {len(ids)} queries")
    print(f"batched = alone bit for bit: {arguments.trials - differing} of {arguments.trials} random batches")
    print(f"CPU ms per query, {len(typed)} of up to {TIMED_TOKENS} tokens (mean {tokens:.1f}), median:")
    for name, values in timings.items():
        print(f"{name:>40} {statistics.median(values):8.2f}   rounds {' '.join(f'{v:.2f}' for v in values)}")


if __name__ == "__main__":
    main()
