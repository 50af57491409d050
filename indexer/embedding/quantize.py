"""The int8 graph, quantised from the fp32 one with ONNX Runtime's tools: built here, never downloaded.

Attention is fused first (ONNX Runtime's BERT optimiser), so it quantises into one QAttention kernel. Then
weights become int8, one scale per output channel, and activations are quantised at run time (dynamic).
Weights use 7 bits (`reduce_range`): CPUs without VNNI multiply u8 × s8 pairs into int16 sums that
saturate at full range (measured: cosine 0.75 to the reference with 8-bit per-channel weights, 0.998 with
7-bit), and the same integers then come out on every CPU.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path


def quantize_graph(source: Path, target: Path, model_config: Path) -> None:
    """Write the int8 form of the fp32 graph `source` to `target`; `model_config` gives heads and width."""
    import onnx
    from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic
    from onnxruntime.transformers import optimizer

    config = json.loads(model_config.read_text(encoding="utf-8"))
    # The optimiser logs each fusion at INFO and notes on unused inputs at WARNING: not news to an operator.
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    fused = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
        opt_level=0,  # the Python fusions only: the result stays portable across CPUs
    )
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fused-") as work:
        fused_path, typed_path = Path(work) / "fused.onnx", Path(work) / "typed.onnx"
        fused.save_model_to_file(str(fused_path))
        # ONNX shape inference, marked as done; the optimiser's rewrites ran already, and the symbolic
        # shape pass cannot follow the fused ops.
        quant_pre_process(fused_path, typed_path, skip_optimization=True, skip_symbolic_shape=True)
        quantize_dynamic(
            typed_path,
            target,
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            # Fused ops carry no inferred output types; what is not quantised stays float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
