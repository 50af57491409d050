"""Tracing the sentence-transformers model (BERT → mean pooling → L2 norm) into one ONNX graph with torch."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from transformers import AutoModel
from transformers.utils import logging as transformers_logging


class MeanPooledBert(torch.nn.Module):
    """BERT's token vectors averaged over the unmasked tokens, then scaled to unit length."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2.0, dim=1)


def trace_to_onnx(model_dir: Path, target: Path, inputs: tuple[str, str], output: str, opset: int) -> None:
    """Trace in fp32 with a padded example batch, so the masked path is the one recorded."""
    transformers_logging.disable_progress_bar()
    # Eager attention: the traced graph then always applies the mask, with no shortcut for unpadded input.
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True)
    input_ids = torch.tensor([[101, 2345, 3456, 4567, 102], [101, 2345, 102, 0, 0]])
    attention_mask = (input_ids != 0).long()
    axes = {0: "batch", 1: "sequence"}
    # The tracer warns of shape checks it records as constants; the padded example keeps them true for all
    # inputs, and the export is verified against sentence-transformers by the tests.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            MeanPooledBert(bert.eval()),
            (input_ids, attention_mask),
            str(target),
            input_names=list(inputs),
            output_names=[output],
            dynamic_axes={inputs[0]: axes, inputs[1]: axes, output: {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
