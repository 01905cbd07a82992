"""`kb doctor`: is the store consistent (Chroma passages vs document records vs the BM25 side), and repair it.

What can go wrong, and only through a writer that died mid-way (SIGKILL, power
loss) or someone editing Chroma by hand:
- orphan passages: no document record, or a version the record no longer points to
  (a crash between a new version's commit and the old one's deletion);
- incomplete documents: fewer live passages than the record says;
- the BM25 side missing passages Chroma has, or holding ones it lost;
- an interrupted-write flag left in the store.
Repair deletes orphans, removes incomplete documents (their files must be ingested
again: the store does not keep sources), rebuilds BM25 from Chroma and clears the
flag, all under the store's write lock. The doctor is given the store and the
BM25 side, not the facade that wires them: `KnowledgeBase.doctor` calls it, and a
served store's doctor runs in the server (POST /v1/doctor).
"""

from __future__ import annotations

from collections import Counter

from kb.bm25 import store_sync
from kb.bm25.index import SparseIndex
from kb.models import DoctorReport, Finding
from kb.store.chroma import ChromaStore
from kb.store.write_protocol import is_live_version, remove_documents


def examine(store: ChromaStore, sparse: SparseIndex) -> tuple[DoctorReport, set[str], list[str]]:
    """(report, orphan passage ids, incomplete doc_ids); the BM25 side is synced first, as a search would."""
    records = store.get_documents()
    versions = store.passage_versions()
    store_sync.sync(sparse, store, store.generation())
    bm25 = sparse.known_ids()
    findings: list[Finding] = []

    orphans = {cid for cid, (doc_id, doc_hash) in versions.items() if not is_live_version(doc_id, doc_hash, records)}
    if orphans:
        per_doc = Counter(versions[cid][0] for cid in orphans)
        detail = ", ".join(f"{doc} ({n})" for doc, n in per_doc.most_common(5)) + (" ..." if len(per_doc) > 5 else "")
        findings.append(Finding(problem="orphan_passages", count=len(orphans), detail=f"passages of no live document version: {detail}"))

    live_count = Counter(doc_id for cid, (doc_id, _) in versions.items() if cid not in orphans)
    incomplete = []
    for doc_id, record in sorted(records.items()):
        expected = int(record.metadata.get("passages") or 0)
        if live_count.get(doc_id, 0) != expected:
            incomplete.append(doc_id)
            findings.append(
                Finding(
                    problem="incomplete_document",
                    doc_id=doc_id,
                    count=expected - live_count.get(doc_id, 0),
                    detail=f"{live_count.get(doc_id, 0)} of {expected} passages stored: ingest its file again",
                )
            )

    missing, extra = set(versions) - bm25, bm25 - set(versions)
    if missing:
        findings.append(Finding(problem="bm25_missing", count=len(missing), detail="passages in Chroma that keyword search cannot find"))
    if extra:
        findings.append(Finding(problem="bm25_extra", count=len(extra), detail="keyword-index rows whose passages are gone from Chroma"))
    if store.interrupted():
        findings.append(Finding(problem="interrupted_write", detail="a writer started and never finished (killed?)"))
    report = DoctorReport(documents=len(records), passages=len(versions), bm25_rows=len(bm25), findings=findings)
    return report, orphans, incomplete


def repair(store: ChromaStore, sparse: SparseIndex) -> DoctorReport:
    """Fix what examine finds; returns the report as found, with what was done in `repaired`.

    The caller holds the store's write lock (KnowledgeBase.doctor does).
    """
    report, orphans, incomplete = examine(store, sparse)
    if report.healthy:
        return report
    done: list[str] = []
    interrupted = store.interrupted()  # before this repair sets the flag for its own writes
    if orphans:
        store.delete_passages(orphans)
        done.append(f"deleted {len(orphans)} orphan passages")
    if incomplete:
        remove_documents(store, incomplete)  # the same sequence as `kb delete`
        done += [f"removed incomplete document {doc_id}: ingest its file again" for doc_id in incomplete]
    store.bump_generation()
    store_sync.rebuild(sparse, store)
    done.append("rebuilt the keyword index from Chroma")
    if store.interrupted():
        store.clear_writing()
    if interrupted:
        done.append("cleared the interrupted-write flag")
    report.repaired = done
    return report
