"""Write trained weights as an ONNX graph built node by node with ``onnx.helper``.

Graph: ``ids`` [B, L] int64 and ``weights`` [B, L] float -> Gather (float16 table) -> Cast ->
weighted mean over L -> MatMul/Add/Relu -> MatMul/Add -> divide by the calibrated temperature
-> Softmax -> ``probs`` [B, C]. ``load`` reads the weights and temperature back from such a
file, to warm-start the next model from it. Training-only: imports ``onnx``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.triage.network import Weights

OPSET = 17
PARAMETERS = ("emb", "w1", "b1", "w2", "b2")


class NotOurGraph(ValueError):
    """The ONNX file lacks one of the initialisers ``export`` writes."""


def load(path: Path) -> tuple[Weights, float]:
    """The weights (embedding table widened to float32) and temperature of an exported model."""
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # onnx raises protobuf's and its own untyped errors
        raise NotOurGraph(f"cannot read {path}: {exc}") from exc
    found = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    missing = [name for name in (*PARAMETERS, "temperature") if name not in found]
    if missing:
        raise NotOurGraph(f"{path} has no initialiser {', '.join(missing)}: not a triage graph")
    arrays = [np.array(found[name], dtype=np.float32) for name in PARAMETERS]
    return Weights(*arrays), float(found["temperature"])


def export(weights: Weights, temperature: float, path: Path, doc: str = "") -> int:
    """Save the graph to ``path``; returns the file size in bytes."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def const(name: str, value: np.ndarray) -> onnx.TensorProto:
        return numpy_helper.from_array(value, name)

    inits = [
        const("emb", weights.emb.astype(np.float16)),
        const("w1", weights.w1), const("b1", weights.b1),
        const("w2", weights.w2), const("b2", weights.b2),
        const("axis1", np.array([1], np.int64)), const("axis2", np.array([2], np.int64)),
        const("one", np.array(1.0, np.float32)),
        const("temperature", np.array(temperature, np.float32)),
    ]
    node = helper.make_node
    nodes = [
        node("Gather", ["emb", "ids"], ["gathered16"], axis=0),
        node("Cast", ["gathered16"], ["gathered"], to=TensorProto.FLOAT),
        node("Unsqueeze", ["weights", "axis2"], ["w3"]),
        node("Mul", ["gathered", "w3"], ["weighted"]),
        node("ReduceSum", ["weighted", "axis1"], ["summed"], keepdims=0),
        node("ReduceSum", ["weights", "axis1"], ["count0"], keepdims=1),
        node("Max", ["count0", "one"], ["count"]),
        node("Div", ["summed", "count"], ["pooled"]),
        node("MatMul", ["pooled", "w1"], ["h0"]),
        node("Add", ["h0", "b1"], ["h1"]),
        node("Relu", ["h1"], ["h2"]),
        node("MatMul", ["h2", "w2"], ["l0"]),
        node("Add", ["l0", "b2"], ["logits"]),
        node("Div", ["logits", "temperature"], ["scaled"]),
        node("Softmax", ["scaled"], ["probs"], axis=1),
    ]
    classes = weights.b2.shape[0]
    graph = helper.make_graph(
        nodes, "nanogate_triage",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "length"]),
         helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["batch", "length"])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", classes]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="nanogate", doc_string=doc)
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path.stat().st_size
