# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""README is a front page whose numbers come from the docs: each number in its results table must stand in a page
the row links to (the page holds the table and the command), so the two cannot drift apart; every link resolves."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A measured number: decimals (88.99, 0.40, −0.04), signed or not; counts like "8 of 12" are not checked.
NUMBER = re.compile(r"[+-]?\d+\.\d+")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def normalized(text: str) -> str:
    return text.replace("−", "-").replace("\u2009", " ")


def results_rows(readme: str) -> list[str]:
    """The rows of the table under README's "Results at a glance"."""
    section = readme.split("## Results at a glance", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| question")]


def headline_mismatches(readme: str, root: Path) -> list[str]:
    """'page: number' for each number of a results row that none of the pages the row links to contains."""
    mismatches = []
    for row in results_rows(readme):
        pages = [root / target for target in LINK.findall(row) if target.endswith(".md")]
        assert pages, f"a results row links to no page: {row[:80]}"
        texts = [normalized(page.read_text()) for page in pages]
        claims = LINK.sub("](", normalized(row))  # numbers inside link targets are not claims
        for number in NUMBER.findall(claims):
            pattern = re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d])")
            if not any(pattern.search(text) for text in texts):
                mismatches.append(f"{', '.join(p.name for p in pages)}: {number}")
    return mismatches


def test_readme_results_stand_in_the_pages_they_link():
    readme = (ROOT / "README.md").read_text()
    assert len(results_rows(readme)) >= 6
    assert headline_mismatches(readme, ROOT) == []


def test_a_planted_mismatch_is_found():
    readme = (ROOT / "README.md").read_text()
    planted = readme.replace("88.99 %", "88.96 %", 1).replace("0.33×", "0.34×", 1)
    assert planted != readme
    assert headline_mismatches(planted, ROOT) == ["celeba.md: 88.96", "onnx.md: 0.34"]


def test_readme_is_a_front_page_with_results_and_commands_on_its_first_screen():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 150
    first_screen = "\n".join(lines[:60])
    for must in ("## Results at a glance", 'pip install -e ".[dev]"', "python run_classification.py", "RUN_SLOW=1"):
        assert must in first_screen


def test_every_relative_link_in_readme_and_docs_resolves():
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text()):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert broken == []
