"""The part of a code problem that says what it asks: the statement without the platform's template sections.

Every AtCoder problem has "The input is given from Standard Input in the following format", "Print the
answer." and "All input values are integers"; every LeetCode problem ends with "1 <= nums.length <=
10^5"-style constraints. Two unrelated problems of one platform share these sections word for word,
and their numbers (2 × 10^5, 10^9) too, so they are neither n-gram nor number evidence of contamination.
`code_statement` keeps the story and the samples (sample inputs and outputs are specific to a problem,
and a copy keeps them) and drops the input-format, output-format and constraints sections, and the
explanations of examples (a paraphrase often leaves them out, and their numbers would then count
against it).

A section starts at a heading line: "Input", "Output", "Input Format", "Output Specification" alone
on their line (with an optional colon), or "Constraints" / "Explanation" (content may follow on the
same line). In
LeetCode examples "Input: nums = [1,2]" carries content on the line: it is part of the example.
"""

from __future__ import annotations

import re

__all__ = ["code_statement", "compared_text", "number_sequence", "sample_numbers"]

# Headings end their line, or a colon follows them ("Constraints: 1 <= n"): "Constraints on the input are
# loose." and "Note that ..." are sentences of the story.
_END = r"\s*(?:\*\*)?\s*(?::.*)?$"
_HEAD = r"^\s*(?:#+\s*|\*\*)?"  # markdown heading or bold
_IO = re.compile(_HEAD + r"(?:input|output)(?:\s+(?:format|specification|description))?\s*:?\s*(?:\*\*)?\s*$",
                 re.IGNORECASE)
_TEMPLATE = re.compile(_HEAD + r"(?:constraints?|explanation)" + _END, re.IGNORECASE)
# In samples "3,1,4,2" is four numbers (text.numbers reads a thousands separator there).
_VALUE = re.compile(r"\d+(?:\.\d+)?")
# Sample and example headings keep their section; their numbers ("Sample Input 2") are not the problem's.
_KEEP = re.compile(_HEAD + r"(sample\s+(?:input|output)|examples?|notes?|follow[- ]up)\s*\d*(?=" + _END + ")",
                   re.IGNORECASE)


def _sections(text: str) -> list[tuple[str, str]]:
    """(kind, line) for every line: kind "template" (dropped), "sample" (a sample or example) or "story";
    sample headings lose their numbers. Inside examples a bare "input"/"output" line (Codeforces prints
    its examples so) belongs to the example."""
    out: list[tuple[str, str]] = []
    kind = "story"
    for line in text.split("\n"):
        if _TEMPLATE.match(line) or (kind != "sample" and _IO.match(line)):
            kind = "template"
        elif heading := _KEEP.match(line):
            kind = "sample" if heading.group(1).lower().startswith(("sample", "example")) else "story"
            line = heading.group(1) + line[heading.end():]
        out.append((kind, line))
    return out


def code_statement(text: str) -> str:
    """`text` without its input-format, output-format and constraints sections (see the module docstring).

    A text that is all template (or has no sections) comes back unchanged.
    """
    out = "\n".join(line for kind, line in _sections(text) if kind != "template").strip()
    return out if out else text


def sample_numbers(text: str) -> list[str]:
    """The numbers of a code problem's samples and examples, in order (`[3,1,4,2], k = 2` -> 3 1 4 2 2).

    A copy or a paraphrase keeps the samples, which are tests; an unrelated problem with the same
    template has other ones.
    """
    return number_sequence("\n".join(line for kind, line in _sections(text) if kind == "sample"))


def number_sequence(text: str) -> list[str]:
    """Every digit run of `text` in order, commas separating numbers."""
    return _VALUE.findall(text)


def compared_text(text: str, ability: object) -> str:
    """What decontamination compares: a code problem's `code_statement`, any other problem as it is."""
    return code_statement(text) if ability == "code" else text
