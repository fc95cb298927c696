import re

import pandas as pd

from rnnlab.report.context import Table
from rnnlab.report.latex import booktabs, escape, write_tables


def _balanced(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{}" and i > 0 and text[i - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def test_escape_special_characters():
    assert escape("a_b & 5% #1 $x {y} ~ ^") == r"a\_b \& 5\% \#1 \$x \{y\} \textasciitilde{} \textasciicircum{}"
    assert escape("100.0 ± 0.5") == r"100.0 $\pm$ 0.5"
    assert escape("back\\slash") == r"back\textbackslash{}slash"


def test_booktabs_structure_columns_and_escaping():
    frame = pd.DataFrame({"corpus": ["ud_en&x", "syn"], "model": ["lstm_2%", "bi#lstm"],
                          "test Acc. %": ["97.10 ± 0.20", "50.00"], "seeds": [3, 1]})
    tex = booktabs(Table("Tagging", frame, "Mean ± CI; a_b."), "tagging")
    assert _balanced(tex)
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert tex.count(rule) == 1
    spec = re.search(r"\\begin\{tabular\}\{([lrc]+)\}", tex).group(1)
    assert spec == "lllr"
    body = tex.split(r"\toprule")[1].split(r"\bottomrule")[0]
    rows = [r for r in body.splitlines() if r.strip().endswith(r"\\")]
    assert len(rows) == 3
    for row in rows:
        assert len(re.split(r"(?<!\\)&", row)) == len(spec)
    assert r"ud\_en\&x" in tex and r"lstm\_2\%" in tex and r"bi\#lstm" in tex and r"97.10 $\pm$ 0.20" in tex
    assert r"\label{tab:tagging}" in tex


def test_write_tables_only_known_keys(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    written = write_tables([Table("LM", frame, key="lm"), Table("Other", frame, key="breakdown-x")], tmp_path)
    assert [p.name for p in written] == ["lm.tex"]
