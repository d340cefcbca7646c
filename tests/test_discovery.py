"""`searchapp abbreviations suggest`: unknown abbreviations of a corpus, with guesses."""

from __future__ import annotations

import json

from click.testing import CliRunner

from searchapp.cli import main

TEXT = """\
Title one

The apprec trtmt of the matter by JXRB was noted. The Joint Xenon Review Board (JXRB) agreed.

Kishi saw the apprec report; trtmt of prisoners under review by JXRB. Sov Govt shld agree.

A treatment was appreciated; trtmt again, apprec again, JXRB again. Kishi Kishi Pusan Pusan Pusan.
"""


def test_suggest_lists_unknown_abbreviations_with_guesses(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(main, ["abbreviations", "suggest", "--corpus", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    found = {s["form"]: s for s in json.loads(result.output)}
    # known abbreviations (Sov, Govt, shld), English words and names are not suggested
    assert set(found) == {"trtmt", "apprec", "JXRB"}
    assert (found["trtmt"]["kind"], found["trtmt"]["guess"], found["trtmt"]["guess_source"]) == ("contraction", "treatment", "corpus")
    assert found["apprec"]["guess"] in {"appreciated", "appreciation", "appreciate"}
    assert (found["JXRB"]["kind"], found["JXRB"]["guess"]) == ("acronym", "Joint Xenon Review Board")
    assert found["JXRB"]["count"] == 4 and len(found["JXRB"]["examples"]) == 2


def test_suggest_tsv_is_a_usable_abbreviation_file(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text(TEXT, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["abbreviations", "suggest", "--corpus", str(tmp_path / "corpus"), "--tsv"])
    assert result.exit_code == 0
    mine = tmp_path / "mine.tsv"
    mine.write_text(result.output, encoding="utf-8")
    glossary = runner.invoke(main, ["abbreviations", "--json", "--abbreviations", str(mine)])
    assert glossary.exit_code == 0, glossary.output
    forms = {e["form"]: e for e in json.loads(glossary.output)}
    assert forms["trtmt"]["expansion"] == "treatment" and forms["trtmt"]["match"] == "display"
    again = runner.invoke(main, ["abbreviations", "suggest", "--corpus", str(tmp_path / "corpus"), "--json", "--abbreviations", str(mine)])
    assert json.loads(again.output) == []
