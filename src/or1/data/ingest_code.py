"""Code problems in their public release formats -> schema rows (`or1 data ingest --format FORMAT`).

Each converter takes one raw record and returns a schema row whose ground truth is the JSON text the code
verifier reads (rewards/code/compare.py): {"inputs", "outputs", "fn_name"?}.

- stdin/stdout tests: each input and output is one string (TACO's lists of lines are joined with "\\n").
- call-based tests (`fn_name`): each input is the list of positional arguments; each output is the JSON
  text of the return value, so a string return value "123" is never read back as the number 123.

Formats (read from the public loaders: LiveCodeBench `lcb_runner/benchmarks/code_generation.py`, TACO's
`train.py`/`testing_util.py`, LeetCodeDataset):

- LiveCodeBench: `question_content`, `public_test_cases` (JSON list of {input, output, testtype}),
  `private_test_cases` (the same list as JSON, or as LiveCodeBench stores it: base64 of zlib of a pickled
  JSON string), `metadata` (JSON with `func_name` for functional tests), `starter_code`, `contest_date`,
  `question_id`, `platform`, `difficulty`. A functional test's input is one JSON value per line.
- TACO: `question`, `input_output` (JSON {inputs, outputs, fn_name?}), `solutions` (JSON list of
  programs), `starter_code`, `difficulty`, `time_limit`, `date`.
- LeetCode: `problem_description` (or `content`/`question`), `starter_code`, `entry_point`
  ("Solution().twoSum"), `input_output` (list of {input: "nums = [2,7], target = 9", output: "[0, 1]"}).

The pickle is read with an unpickler that refuses every global, so a crafted file cannot run code: a
LiveCodeBench pickle holds one string and needs none. A bad row raises `Reject` whose detail names the
column (the caller adds the file and row number).
"""

from __future__ import annotations

import ast
import base64
import binascii
import io
import json
import pickle
import re
import zlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from or1.data.ingest_checks import Reject, check_tests, text_value

__all__ = ["decode_lcb_tests", "detect_code_format", "lcb_statement", "to_code_row"]

MAX_DECOMPRESSED_BYTES = 1 << 30  # a zlib bomb stops here instead of filling memory
_STDIN_NOTE = ("Read the input from standard input and write the answer to standard output. "
               "Give your program in one ```python code block.")
_STARTER_NOTE = "Complete this starter code and give the whole solution in one ```python code block:"
_UNSUPPORTED_TYPES = re.compile(r"\b(ListNode|TreeNode|Node)\b")  # arguments a JSON value cannot build


class _NoGlobals(pickle.Unpickler):
    """An unpickler for plain data: any class or function reference is an error."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")


def _bad(column: str, error: str, reason: str = "bad_tests") -> Reject:
    return Reject(reason, {"column": column, "error": error})


def _required(rec: dict[str, Any], column: str) -> Any:
    if rec.get(column) is None:
        raise Reject("missing_field", {"column": column})
    return rec[column]


def _json(value: Any, column: str) -> Any:
    """A column holding JSON text (or, from parquet/JSONL, the decoded value itself)."""
    if isinstance(value, bytes):
        value = text_value(value, column)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as e:
        raise _bad(column, f"not JSON: {e}") from None


def decode_lcb_tests(value: Any, column: str = "private_test_cases") -> list[dict[str, Any]]:
    """LiveCodeBench test cases: a JSON list, or base64(zlib(pickle(JSON text))) as the release stores them.

    Raises:
        Reject: bad_tests, with the step that failed (base64, zlib, pickle, JSON) in the detail.
    """
    if isinstance(value, list):
        tests = value
    else:
        text = text_value(value, column).strip()
        if text.startswith("["):
            tests = _json(text, column)
        else:
            try:
                packed = base64.b64decode(text.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError) as e:
                raise _bad(column, f"neither JSON nor base64: {e}") from None
            try:
                inflater = zlib.decompressobj()
                raw = inflater.decompress(packed, MAX_DECOMPRESSED_BYTES)
            except zlib.error as e:
                raise _bad(column, f"base64 but not zlib data: {e}") from None
            if inflater.unconsumed_tail:
                raise _bad(column, f"decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes")
            try:
                inner = _NoGlobals(io.BytesIO(raw)).load()
            except Exception as e:  # any unpickling failure: the payload is not a pickled string
                raise _bad(column, f"zlib data but not a pickle of plain data: {e}") from None
            if not isinstance(inner, str | bytes):
                raise _bad(column, f"the pickle holds a {type(inner).__name__}, not JSON text")
            tests = _json(inner, column)
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        raise _bad(column, "test cases must be a list of {input, output, testtype} objects")
    for k, t in enumerate(tests):
        if not isinstance(t.get("input"), str) or not isinstance(t.get("output"), str):
            raise _bad(column, f"test {k}: 'input' and 'output' must be strings")
        if t.get("testtype", "stdin") not in ("stdin", "functional"):
            raise _bad(column, f"test {k}: testtype {t.get('testtype')!r} is not stdin or functional")
    return tests


def _json_lines(text: str, column: str, k: int) -> list[Any]:
    """A functional test input: one JSON value per line, one line per positional argument."""
    try:
        return [json.loads(line) for line in text.split("\n") if line.strip()]
    except json.JSONDecodeError as e:
        raise _bad(column, f"test {k}: a functional input line is not JSON: {e}") from None


def _output_json(text: str, column: str, k: int) -> str:
    try:
        return json.dumps(json.loads(text))
    except json.JSONDecodeError as e:
        raise _bad(column, f"test {k}: a functional output is not JSON: {e}") from None


def _iso_date(value: Any, column: str) -> str | None:
    """A date or datetime (ISO text, or a parquet timestamp) as YYYY-MM-DD."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    text = text_value(value, column).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        raise _bad(column, f"not an ISO date: {text!r}", "bad_field") from None


def _prompt_text(question: str, starter: str) -> str:
    if starter.strip():
        return f"{question.strip()}\n\n{_STARTER_NOTE}\n```python\n{starter.rstrip()}\n```"
    return f"{question.strip()}\n\n{_STDIN_NOTE}"


def _problem(rec: dict[str, Any], columns: tuple[str, ...]) -> str:
    for c in columns:
        if rec.get(c) is not None:
            text = text_value(rec[c], c)
            if not text.strip():
                raise Reject("missing_problem", {"column": c})
            return text
    raise Reject("missing_field", {"column": " or ".join(columns)})


def _livecodebench(rec: dict[str, Any]) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    question = _problem(rec, ("question_content",))
    public = decode_lcb_tests(_required(rec, "public_test_cases"), "public_test_cases")
    private = decode_lcb_tests(_required(rec, "private_test_cases"), "private_test_cases")
    meta = _json(rec.get("metadata") or "{}", "metadata")
    if not isinstance(meta, dict):
        raise _bad("metadata", "must be a JSON object", "bad_field")
    fn_name = meta.get("func_name") or None
    tests = public + private
    kinds = {t.get("testtype", "stdin") for t in tests}
    if len(kinds) > 1:
        raise _bad("public_test_cases", "stdin and functional tests mixed in one problem")
    if kinds == {"functional"} and not fn_name:
        raise _bad("metadata", "functional tests need metadata.func_name")
    if fn_name and kinds == {"stdin"}:
        raise _bad("metadata", f"func_name {fn_name!r} given but the tests are stdin tests")
    if fn_name:
        columns = ["public_test_cases"] * len(public) + ["private_test_cases"] * len(private)
        gt = {"inputs": [_json_lines(t["input"], c, k) for k, (t, c) in enumerate(zip(tests, columns, strict=True))],
              "outputs": [_output_json(t["output"], c, k) for k, (t, c) in enumerate(zip(tests, columns, strict=True))],
              "fn_name": fn_name}
    else:
        gt = {"inputs": [t["input"] for t in tests], "outputs": [t["output"] for t in tests]}
    info: dict[str, Any] = {"num_public_tests": len(public)}
    for key in ("question_id", "question_title", "contest_id", "platform", "difficulty"):
        value = rec.get(key, meta.get(key))
        if value not in (None, ""):
            info["id" if key == "question_id" else key] = text_value(value, key)
    when = _iso_date(rec.get("contest_date", meta.get("contest_date")), "contest_date")
    if when:
        info["contest_date"] = when
    starter = text_value(rec.get("starter_code"), "starter_code")
    if starter.strip():
        info["starter_code"] = starter
    return question, starter, gt, info


def lcb_statement(rec: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(statement, contest date YYYY-MM-DD, question_id) of a LiveCodeBench release row, tests unread:
    decontamination compares statements, and a row whose tests are broken is still a benchmark problem.

    Raises:
        Reject: no statement, or a contest date that is not ISO.
    """
    meta = rec.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    qid = rec.get("question_id", meta.get("question_id"))
    return (_problem(rec, ("question_content",)), _iso_date(rec.get("contest_date"), "contest_date"),
            None if qid in (None, "") else text_value(qid, "question_id"))


def _lines(value: Any) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list) else text_value(value, "input_output")


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:s|sec|secs|second|seconds)\b", re.IGNORECASE)


def _taco(rec: dict[str, Any]) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    question = _problem(rec, ("question",))
    io_ = _json(_required(rec, "input_output"), "input_output")
    if not isinstance(io_, dict):
        raise _bad("input_output", "must be a JSON object with inputs and outputs")
    inputs, outputs, fn_name = io_.get("inputs"), io_.get("outputs"), io_.get("fn_name") or None
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise _bad("input_output", "needs 'inputs' and 'outputs' lists")
    if fn_name:
        # TACO call-based: each input is the argument list; an output may wrap the value in a one-element
        # list, which the verifier also accepts bare (as TACO's harness does).
        args = [x if isinstance(x, list) else [x] for x in inputs]
        gt = {"inputs": args, "outputs": [json.dumps(y) for y in outputs], "fn_name": fn_name}
    else:
        gt = {"inputs": [_lines(x) for x in inputs], "outputs": [_lines(y) for y in outputs]}
    info: dict[str, Any] = {}
    solutions = _json(rec.get("solutions") or "[]", "solutions")
    if not isinstance(solutions, list):
        raise _bad("solutions", "must be a JSON list of programs", "bad_field")
    good = [s for s in solutions if isinstance(s, str) and s.strip()]
    if good:
        info.update(solution=good[0], num_solutions=len(good))
    for key in ("name", "difficulty", "source", "url"):
        if rec.get(key) not in (None, ""):
            info["id" if key == "name" else key] = text_value(rec[key], key)
    raw_date = rec.get("date")
    if isinstance(raw_date, datetime | date) or (isinstance(raw_date, str) and _ISO.match(raw_date)):
        info["contest_date"] = _iso_date(raw_date, "date")  # TACO's dates are optional and loosely written
    limit = _SECONDS.search(text_value(rec.get("time_limit"), "time_limit"))
    if limit:
        info["time_limit_s"] = float(limit.group(1))
    starter = text_value(rec.get("starter_code"), "starter_code")
    if starter.strip():
        info["starter_code"] = starter
    return question, starter, gt, info


_JSON_NAMES = {"true": True, "false": False, "null": None}


def _literal(node: ast.AST, column: str, k: int) -> Any:
    """A Python or JSON literal (LeetCode prints `true`, `null` in some rows and `True`, `None` in others)."""
    node = _JsonNames().visit(node)
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError) as e:
        raise _bad(column, f"test {k}: not a literal: {e}") from None


class _JsonNames(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Constant(_JSON_NAMES[node.id]) if node.id in _JSON_NAMES else node


def _parse(text: str, mode: str, column: str, k: int) -> ast.AST:
    try:
        return ast.parse(text, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise _bad(column, f"test {k}: cannot parse {text[:80]!r}: {e}") from None


def _leetcode_args(text: str, column: str, k: int) -> list[Any]:
    """`nums = [2,7], target = 9` -> [[2, 7], 9] (the names are in signature order)."""
    call = _parse(f"f({text})", "eval", column, k)
    assert isinstance(call, ast.Expression)
    body = call.body
    if not isinstance(body, ast.Call):
        raise _bad(column, f"test {k}: input is not `name = value, ...`")
    return [_literal(a, column, k) for a in body.args] + [_literal(kw.value, column, k) for kw in body.keywords]


def _leetcode(rec: dict[str, Any]) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    question = _problem(rec, ("problem_description", "content", "question"))
    starter = text_value(rec.get("starter_code"), "starter_code")
    if _UNSUPPORTED_TYPES.search(starter):
        raise Reject("unsupported_tests", {"column": "starter_code",
                                           "error": "arguments of linked-list or tree types cannot be built from JSON"})
    entry = text_value(rec.get("entry_point") or rec.get("func_name") or rec.get("fn_name"), "entry_point").strip()
    fn_name = entry.rsplit(".", 1)[-1].removesuffix("()").strip()
    if not fn_name.isidentifier():
        raise Reject("missing_field", {"column": "entry_point", "error": f"no function name in {entry!r}"})
    cases = _json(_required(rec, "input_output"), "input_output")
    if not isinstance(cases, list) or not all(isinstance(c, dict) and "input" in c and "output" in c for c in cases):
        raise _bad("input_output", "must be a list of {input, output} objects")
    inputs, outputs = [], []
    for k, case in enumerate(cases):
        arg = case["input"]
        inputs.append(_leetcode_args(arg, "input_output", k) if isinstance(arg, str) else
                      (arg if isinstance(arg, list) else [arg]))
        out = case["output"]
        if isinstance(out, str):
            tree = _parse(out, "eval", "input_output", k)
            assert isinstance(tree, ast.Expression)
            out = _literal(tree.body, "input_output", k)
        outputs.append(json.dumps(out))
    info: dict[str, Any] = {}
    for key in ("task_id", "question_id", "difficulty"):
        if rec.get(key) not in (None, ""):
            info["id" if key == "task_id" else key] = text_value(rec[key], key)
    when = _iso_date(rec.get("estimated_date") or rec.get("contest_date"), "estimated_date")
    if when:
        info["contest_date"] = when
    if starter.strip():
        info["starter_code"] = starter
    solution = text_value(rec.get("completion"), "completion")
    if solution.strip():
        info["solution"] = solution
    return question, starter, {"inputs": inputs, "outputs": outputs, "fn_name": fn_name}, info


_CONVERTERS: dict[str, Callable[[dict[str, Any]], tuple[str, str, dict[str, Any], dict[str, Any]]]] = {
    "livecodebench": _livecodebench, "taco": _taco, "leetcode": _leetcode}


def detect_code_format(rec: dict[str, Any]) -> str | None:
    """The code release format a record's columns belong to, or None (then it is read through the mapping)."""
    if "question_content" in rec and "public_test_cases" in rec:
        return "livecodebench"
    if "input_output" in rec:
        value = rec["input_output"]
        is_list = isinstance(value, list) or (isinstance(value, str) and value.lstrip().startswith("["))
        if is_list and ("entry_point" in rec or "starter_code" in rec):
            return "leetcode"
        if "question" in rec and not is_list:
            return "taco"
    return None


def to_code_row(rec: dict[str, Any], fmt: str, *, data_source: str | None, template: str, split: str,
                max_problem_chars: int) -> dict[str, Any]:
    """One raw record of format `fmt` as a schema row (`extra_info.index` is set by the caller).

    Raises:
        Reject: missing_field / missing_problem / bad_tests / empty_tests / bad_field / unsupported_tests /
            too_long, with the column in the detail.
    """
    question, starter, gt, info = _CONVERTERS[fmt](rec)
    if len(question) > max_problem_chars:
        raise Reject("too_long", {"field": "problem", "chars": len(question), "max": max_problem_chars})
    tests = check_tests(gt)
    return {
        "data_source": data_source or fmt,
        "prompt": [{"role": "user", "content": template.replace("{problem}", _prompt_text(question, starter))}],
        "ability": "code",
        "reward_model": {"style": "rule", "ground_truth": tests},
        "extra_info": {**info, "split": split, "problem": question, "format": fmt},
    }
