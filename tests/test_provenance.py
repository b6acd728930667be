"""Provenance of result rows (issue 15): rows name a real commit, never an uncommitted
tree, and the library hash covers exactly the files that change results."""
import csv
import shutil
import subprocess
from pathlib import Path

import pytest

import dfa_helpers as d

ROOT = Path(__file__).resolve().parents[1]
RESULT_CSVS = sorted(p for p in (ROOT / "results").glob("*.csv")
                     if "commit" in open(p).readline().split(","))


def git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def test_there_are_result_files_with_a_commit_column():
    names = {p.name for p in RESULT_CSVS}
    assert {"mnist_tuning.csv", "nokland_table1.csv"} <= names


@pytest.mark.parametrize("path", RESULT_CSVS, ids=lambda p: p.name)
def test_every_published_row_names_a_real_clean_commit(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows, f"{path.name} has no rows"
    commits = {r["commit"] for r in rows}
    dirty = sorted(c for c in commits if "dirty" in c or not c)
    assert not dirty, f"{path.name}: rows from an uncommitted tree {dirty}: rerun them"
    for r in rows:
        assert len(r["lib_hash"]) == 12, f"{path.name}: {r['run_id']} has no library hash"
    if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip("a shallow clone does not hold every commit")
    for commit in commits:
        found = git("cat-file", "-e", f"{commit}^{{commit}}").returncode == 0
        assert found, f"{path.name}: commit {commit} is not in this repository's history"


def test_library_hash_covers_the_result_files_only(tmp_path):
    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "dfa_helpers", lib)
    before = d.provenance.library_hash(lib)
    assert before == d.provenance.library_hash()
    (lib / "plots.py").write_text("# a figure changed\n")          # cannot change results
    assert d.provenance.library_hash(lib) == before
    with open(lib / "rules.py", "a") as f:                         # can
        f.write("\n# a rule changed\n")
    assert d.provenance.library_hash(lib) != before


def test_rows_from_an_uncommitted_tree_are_refused(tmp_path):
    repo = tmp_path / "repo"
    (repo / "dfa_helpers").mkdir(parents=True)
    (repo / "dfa_helpers" / "rules.py").write_text("x = 1\n")
    for args in (["init", "-q"], ["add", "."],
                 ["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "c"]):
        assert git(*args, cwd=repo).returncode == 0
    assert d.provenance.uncommitted(cwd=repo) == []
    prov = d.provenance.row_provenance(1, cwd=repo)
    assert "+" not in prov["commit"] and len(prov["commit"]) >= 7
    (repo / "dfa_helpers" / "rules.py").write_text("x = 2\n")
    with pytest.raises(d.provenance.DirtyTreeError, match="uncommitted changes"):
        d.provenance.row_provenance(1, cwd=repo)
    assert d.provenance.row_provenance(1, allow_dirty=True, cwd=repo)["commit"].endswith(
        "+dirty")
    (repo / "notes.md").write_text("a change outside the watched folders\n")
    git("checkout", "dfa_helpers/rules.py", cwd=repo)
    assert d.provenance.uncommitted(cwd=repo) == []


def test_stale_rows_are_those_of_another_library():
    rows = [{"lib_hash": d.provenance.library_hash()}, {"lib_hash": "000000000000"}]
    assert d.provenance.stale_rows(rows) == [rows[1]]
