"""The index lifecycle: incremental updates, atomic switches, killed and concurrent
builds, a server that follows rebuilds, damaged indexes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from searchapp.indexer import BuildInProgress, IndexNotBuilt, build_index, build_lock, current_generation
from searchapp.search import SearchIndex

from .conftest import TELEGRAMS, write_corpus


def ids(index, query):
    return sorted(f"{h.doc_id}#p{h.n}" for h in index.search(query, page_size=100).hits)


def test_incremental_add_change_delete(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    root = tmp_path / "ix"
    first = build_index(corpus, root)
    assert first.mode == "full" and first.documents == 3
    assert build_index(corpus, root).mode == "up-to-date"

    (corpus / "t4.txt").write_text("Title of t4\n\nThe Kaesong talks resumed.\n", encoding="utf-8")
    (corpus / "t2.txt").write_text(TELEGRAMS["t2"].replace("Chinese Communist delegation", "Panmunjom delegation"), encoding="utf-8")
    os.utime(corpus / "t2.txt", ns=(time.time_ns(), time.time_ns() + 10**9))
    (corpus / "t3.txt").unlink()
    report = build_index(corpus, root)
    assert (report.mode, report.changed_files, report.removed_files) == ("incremental", 2, 1)
    assert report.documents == 3
    index = SearchIndex(root)
    assert ids(index, "Kaesong") == ["t4#p1"]
    assert ids(index, "Panmunjom") == ["t2#p2"]
    assert ids(index, '"Chinese Communist"') == ["t2#p1"]
    assert ids(index, "GOI") == []
    assert index.info.paragraphs == report.paragraphs == 6 + 5 + 1
    full = build_index(corpus, tmp_path / "ix2", full=True)
    assert full.paragraphs == report.paragraphs


def test_update_leaves_the_served_generation_untouched(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    root = tmp_path / "ix"
    build_index(corpus, root)
    old = current_generation(root)
    before = {p.name: p.read_bytes() for p in old.iterdir()}
    (corpus / "t4.txt").write_text("Title\n\nKaesong talks.\n", encoding="utf-8")
    build_index(corpus, root)
    assert current_generation(root) != old
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before


def test_second_build_refuses_while_one_runs(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    root = tmp_path / "ix"
    with build_lock(root):
        with pytest.raises(BuildInProgress, match="build is already writing|another build is writing"):
            build_index(corpus, root)
    assert build_index(corpus, root).documents == 3


KILL_SCRIPT = """
import sys
from pathlib import Path
from searchapp.indexer import build_index
build_index(Path(sys.argv[1]), Path(sys.argv[2]), full=True)
"""


def test_killed_build_leaves_search_working(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    root = tmp_path / "ix"
    build_index(corpus, root)
    served = current_generation(root)
    big = tmp_path / "corpus"
    for i in range(400):
        (big / f"x{i:04d}.txt").write_text(TELEGRAMS["t1"].replace("Muccio", f"Envoy{i}"), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(big), str(root)])
    deadline = time.monotonic() + 30
    while not list(root.glob("gen-*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert current_generation(root) == served
    index = SearchIndex(root)
    assert ids(index, "Kaesong") == [] and ids(index, "shld")
    report = build_index(corpus, root)
    assert report.documents == 403
    assert not list(root.glob("gen-*.tmp"))


def test_searcher_follows_rebuilds_without_errors(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    root = tmp_path / "ix"
    build_index(corpus, root)
    index = SearchIndex(root)
    errors: list[BaseException] = []
    counts: list[int] = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                counts.append(index.search("shld OR Kaesong").total)
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(3):
        (corpus / f"new{i}.txt").write_text(f"Title {i}\n\nKaesong talks round {i}.\n", encoding="utf-8")
        build_index(corpus, root, full=(i == 1))
        time.sleep(0.7)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert len(counts) > 10
    assert ids(index, "Kaesong") == ["new0#p1", "new1#p1", "new2#p1"]


# Whoosh 2.7.4 leaves the damaged table-of-contents file open when it fails to read it
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_missing_and_damaged_index_say_what_to_run(tmp_path):
    with pytest.raises(IndexNotBuilt, match="run 'searchapp build"):
        SearchIndex(tmp_path / "nothing")
    corpus = write_corpus(tmp_path / "corpus")
    root = tmp_path / "ix"
    build_index(corpus, root)
    for toc in current_generation(root).glob("*.toc"):
        toc.write_bytes(b"garbage")
    with pytest.raises(IndexNotBuilt, match="run 'searchapp build'"):
        SearchIndex(root)


def test_parallel_build_finds_the_same(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus")
    for i in range(30):
        (corpus / f"x{i:02d}.txt").write_text(TELEGRAMS["t2"].replace("Acheson", f"Envoy{i}"), encoding="utf-8")
    single = build_index(corpus, tmp_path / "one", full=True)
    monkeypatch.setenv("SEARCHAPP_BUILD_PROCS", "2")
    parallel = build_index(corpus, tmp_path / "two", full=True)
    assert (parallel.documents, parallel.paragraphs) == (single.documents, single.paragraphs)
    one, two = SearchIndex(tmp_path / "one"), SearchIndex(tmp_path / "two")
    for query in ["shld", '"Chinese Communist"', "Envoy7", "GOI", "negot*"]:
        assert ids(one, query) == ids(two, query), query


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from searchapp.indexer import build_lock
with build_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(30)
"""


def test_build_refuses_while_another_process_builds(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    root = tmp_path / "ix"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BuildInProgress, match=rf"another build is writing .* \(pid {holder.pid}\)"):
            build_index(corpus, root)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert build_index(corpus, root).documents == 3


def test_parallel_writer_failure_falls_back_to_one_process(tmp_path, monkeypatch):
    from whoosh.multiproc import MpWriter

    def broken(*args, **kwargs):
        raise OSError("no semaphores here")

    monkeypatch.setattr(MpWriter, "__init__", broken)
    monkeypatch.setenv("SEARCHAPP_BUILD_PROCS", "2")
    corpus = write_corpus(tmp_path / "corpus")
    with pytest.warns(UserWarning, match="building in one process"):
        report = build_index(corpus, tmp_path / "ix", full=True)
    assert report.documents == 3
    assert ids(SearchIndex(tmp_path / "ix"), "shld") == ["t1#p1", "t1#p3", "t3#p1"]
