"""Answer extraction: the last `\\boxed{...}` of a response's answer section (DESIGN.md §2).

All scans are single linear passes, so a 100 KB response full of unclosed braces costs milliseconds.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Literal

from or1.rewards.extract import answer_section
from or1.rewards.math.normalize import strip_delimiters

__all__ = ["Fallback", "all_boxed", "extract_answer", "extract_boxed", "is_prose", "joined_boxes", "stated_answer"]

Fallback = Literal["answer_is", "last_math"]

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_BARE_TOKEN = re.compile(r"\s*([^\s${}\\]+)")  # "\boxed 5": the argument is one token
_ANSWER_IS = re.compile(r"(?:final answer|the answer|answer)\s*(?:is|:)\s*:?\s*", re.IGNORECASE)
_ANSWER_TAG = re.compile(r"<answer>(.{0,2000}?)</answer>", re.IGNORECASE | re.DOTALL)
_INLINE_MATH = re.compile(r"\$([^$]{1,1000})\$")
_LEADING_MATH = re.compile(
    r"\s*(\$\$[^$]{1,1000}\$\$|\$[^$]{1,1000}\$|\\\((.{1,1000}?)\\\)|\\\[(.{1,1000}?)\\\])", re.DOTALL
)
_LEADING_QUOTES = re.compile(r"^\s*(?:\\?[\"'])+\s*")  # The final answer is \"$12$ and $13$\".
_TRAILING_QUOTES = re.compile(r"\s*(?:\\?[\"'])+\s*$")
_MORE_MATH = re.compile(r"^(?:(?:and|or)\s*)?(?:\$|\\\(|\d)")  # "$12$ and $13$": the answer goes on
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_SENTENCE_END = re.compile(r"\.(?:\s|$)|[?!;](?:\s|$)|\n")
_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{2,}")
_TEXT_ARG = re.compile(r"\\(?:text|mathrm|textbf|textit|textrm|textnormal|mbox|operatorname)\s*\{[^{}]*\}")
# Words that belong to answers, not to sentences about them: connectives and function names.
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[a-zA-Z*]*\}")
_ANSWER_WORD_LIST = (
    "and or sin cos tan cot sec csc log ln exp sqrt abs arcsin arccos arctan sinh cosh tanh max min gcd lcm "
    "mod pi infty pm mp cup cap to in le ge lt gt ne no yes none odd even true false all"
)
_ANSWER_WORDS = frozenset(_ANSWER_WORD_LIST.split())
_GAP_CONNECTIVE = re.compile(r"^(?:[\s,;$&]|\\[(),;:!\[\]]|\\q?quad|\\text\{\s*(?:and|or|,)?\s*\}|\band\b|\bor\b)*$")
_MAX_GAP_WORDS = 2  # "\boxed{1} papers and \boxed{2} bins" is one answer in two boxes; a paragraph is not


def _closing_braces(text: str) -> dict[int, int]:
    """Position of each unescaped `{` -> position of its matching `}` (one pass, a stack)."""
    match, stack, backslashes = {}, [], 0
    for i, c in enumerate(text):
        if c == "\\":
            backslashes += 1
            continue
        escaped = backslashes % 2 == 1
        backslashes = 0
        if escaped:
            continue
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            match[stack.pop()] = i
    return match


def all_boxed(text: str) -> list[str]:
    """Contents of every top-level `\\boxed{...}` / `\\fbox{...}` in order (nested boxes are inside
    their parent's content; an unclosed box is skipped).

    Args:
        text: any text.

    Returns:
        The box contents, possibly empty.
    """
    return [text[cs:ce] for _, _, cs, ce in _box_spans(text)]


def _box_spans(text: str) -> list[tuple[int, int, int, int]]:
    """(box start, box end, content start, content end) of every top-level box, in order."""
    if "\\boxed" not in text and "\\fbox" not in text:
        return []
    closing: dict[int, int] | None = None
    found: list[tuple[int, int, int, int]] = []
    end = -1
    for m in _BOX.finditer(text):
        if m.start() < end:
            continue  # inside the previous box
        i = m.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == "{":
            closing = _closing_braces(text) if closing is None else closing
            close = closing.get(i)
            if close is not None:
                found.append((m.start(), close + 1, i + 1, close))
                end = close
        else:
            bare = _BARE_TOKEN.match(text, m.end())
            if bare and bare.group(1):
                found.append((m.start(), bare.end(), bare.start(1), bare.end(1)))
                end = bare.end()
    return found


def extract_boxed(text: str) -> str | None:
    """The content of the last top-level `\\boxed{...}` or `\\fbox{...}` (also `\\boxed 5`).

    Braces must balance; escaped braces (`\\{`) do not count. Examples: "so \\boxed{\\frac{1}{2}}." ->
    "\\frac{1}{2}"; "\\boxed{1} then \\boxed{2}" -> "2"; "\\boxed{3" -> None.

    Args:
        text: any text.

    Returns:
        The content, or None when there is no complete box.
    """
    boxes = all_boxed(text)
    return boxes[-1] if boxes else None


def joined_boxes(text: str) -> str | None:
    """All top-level boxes of `text` joined with ", " when there are several and the text between
    them is only separators (`,`, "and", `\\quad`, delimiters, at most two other words), else None.

    `\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}` states one answer with two items; a box
    that ends one paragraph and a box that ends the next do not.
    """
    spans = _box_spans(text)
    if len(spans) < 2:
        return None
    for before, after in pairwise(spans):
        gap = text[before[1] : after[0]]
        if not _GAP_CONNECTIVE.match(gap) and len(_WORD.findall(_TEXT_ARG.sub(" ", gap))) > _MAX_GAP_WORDS:
            return None
    return ", ".join(text[cs:ce].strip() for _, _, cs, ce in spans)


def stated_answer(text: str) -> str | None:
    """The answer a text states in words: `<answer>X</answer>`, else the last "the answer is X" /
    "Final Answer: X" / "Answer: X". X is the math right after the phrase when it opens with a
    delimiter ("The final answer is $14{,}916$. I hope it is correct." -> "14{,}916"), else the
    rest of the sentence. None when there is no such phrase.
    """
    tags = _ANSWER_TAG.findall(text)
    if tags and tags[-1].strip():
        inner = tags[-1].strip()
        return extract_boxed(inner) or strip_delimiters(inner)
    hits = list(_ANSWER_IS.finditer(text))
    if not hits:
        return None
    rest = _LEADING_QUOTES.sub("", text[hits[-1].end() :])
    math = _LEADING_MATH.match(rest)
    after = _LEADING_QUOTES.sub("", rest[math.end() :].split("\n", 1)[0].lstrip(" .,;!?")) if math else ""
    if math and not _MORE_MATH.match(after):
        return strip_delimiters(math.group(1)) or None
    end = _SENTENCE_END.search(rest)
    # The sentence, with its inline-math delimiters dropped ("$12$ and $13$" states "12 and 13").
    stated = _TRAILING_QUOTES.sub("", _UNESCAPED_DOLLAR.sub("", rest[: end.start()] if end else rest))
    return strip_delimiters(stated) or None


def is_prose(answer: str) -> bool:
    """Whether an answer text is a sentence about the answer rather than the answer itself: math
    delimiters inside it, or three or more words that are not answer words (function names,
    connectives, `\\text{...}` contents). "the number is 10" is prose; "12 and 13",
    "5 square units" and "\\text{The midpoints form a regular hexagon}" are answers.
    """
    s = strip_delimiters(answer)
    if "$" in s or "\\(" in s or "\\[" in s:
        return True
    s = _ENVIRONMENT.sub(" ", _TEXT_ARG.sub(" ", s))
    words = [w for w in _WORD.findall(s) if w.lower() not in _ANSWER_WORDS]
    return len(words) >= 3


def _fallback(section: str, fallbacks: tuple[Fallback, ...]) -> str | None:
    for kind in fallbacks:
        if kind == "answer_is":
            stated = stated_answer(section)
            if stated:
                return stated
        elif kind == "last_math":
            hits = _INLINE_MATH.findall(section)
            if hits:
                return hits[-1].strip()
    return None


def extract_answer(
    response: str,
    mode: Literal["response", "answer"] = "response",
    *,
    fallbacks: tuple[Fallback, ...] = (),
) -> tuple[str | None, str]:
    """The final answer of a response, and why there is none.

    Args:
        response: in "response" mode a full model response: the answer section after the last
            `</think>` is searched for its last box; no `</think>` means "unfinished" (the original
            scored the whole text, which rewarded boxes inside unfinished reasoning). In "answer" mode
            the text is the final answer: its last box if it has one, else the answer it states in
            words (`stated_answer`: "The answer is X", "Answer: X", `<answer>X</answer>`), else the
            text itself.
        mode: "response" or "answer".
        fallbacks: in "response" mode, what to try when there is no box, in order: "answer_is" (the
            rest of the line after the last "answer is" / "Answer:"), "last_math" (the last $...$).
            None by default: the recipe rewards boxed answers only.

    Returns:
        (answer, status): status "ok" with the answer, or (None, "unfinished" | "no_answer").
    """
    if mode == "answer":
        # The last answer the text gives wins: a box, or a "The final answer is X" after it.
        spans, hits = _box_spans(response), list(_ANSWER_IS.finditer(response))
        stated = stated_answer(response) if not spans or (hits and hits[-1].start() > spans[-1][1]) else None
        boxed = stated if stated is not None else extract_boxed(response)
        answer = strip_delimiters(boxed if boxed is not None else response)
        return (answer, "ok") if answer else (None, "no_answer")
    section = answer_section(response)
    if section is None:
        return None, "unfinished"
    boxed = extract_boxed(section)
    if boxed is None:
        boxed = _fallback(section, fallbacks)
    if boxed is None or not boxed.strip():
        return None, "no_answer"
    return boxed.strip(), "ok"
