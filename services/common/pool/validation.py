"""Dojo's acceptance rules for a QAP body (dojo-contract §2.4, §2.5 and §10), as data.

The pool runs these on every push and again on every hand-out: a body that passes is one Dojo's validator maps
and scores without raising. Each problem carries a field path for gRPC BadRequest details and a short reason from
a fixed set, used as a metric label and a Redis counter. Bodies are decoded JSON (or built from a proto), so every
object is exactly a `dict`: `type(x) is dict` instead of an ABC check keeps a hand-out's validation to microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

AUGMENT_TYPES = ("CHANGE_QUESTIONS", "CHANGE_ANSWERS")
RESPONSES_PER_QAP = 4
HTML_FILENAME = "index.html"
# Dojo v2 names a pair by its rank-0 and worst cids (qa_id, ans_aug_id), and POST /api/pop-qa takes only ids of this
# form: uuid4 strings upstream, any short token here.
V2_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
V2_ID_RULE = "1-128 characters of letters, digits, '.', '_', ':' or '-'"


@dataclass(frozen=True)
class Problem:
    """One broken rule: where, what, and a bounded reason code."""

    field: str
    description: str
    reason: str


def _text(value: object) -> bool:
    # isspace() stops at the first visible character; strip() would copy a whole HTML page on every hand-out.
    return type(value) is str and value != "" and not value.isspace()


def _check_file(path: str, file: object, out: list[Problem]) -> None:
    if type(file) is not dict:
        out.append(Problem(path, "must be an object {filename, content, language}", "files"))
        return
    if file.get("filename") != HTML_FILENAME:
        out.append(Problem(f"{path}.filename", f"must be {HTML_FILENAME!r}", "filename"))
    if not _text(file.get("content")):
        out.append(Problem(f"{path}.content", "must be a non-empty string", "content"))
    if not _text(file.get("language")):
        out.append(Problem(f"{path}.language", "must be a non-empty string (older Dojo requires it)", "language"))


def _check_responses(responses: object, out: list[Problem]) -> list[str]:
    if type(responses) is not list or len(responses) != RESPONSES_PER_QAP:
        count = len(responses) if type(responses) is list else "no list"
        out.append(Problem("responses", f"must hold exactly {RESPONSES_PER_QAP} answers (got {count})",
                           "responses"))
        if type(responses) is not list:
            return []
    cids: list[str] = []
    for i, response in enumerate(responses):
        path = f"responses[{i}]"
        if type(response) is not dict:
            out.append(Problem(path, "must be an object {model, completion, cid}", "response"))
            continue
        if type(response.get("model")) is not str:
            out.append(Problem(f"{path}.model", "must be a string", "response"))
        cid = response.get("cid")
        if not _text(cid):
            out.append(Problem(f"{path}.cid", "must be a non-empty string", "cid"))
        elif cid in cids:
            out.append(Problem(f"{path}.cid", f"duplicate cid {cid!r}", "cid"))
        else:
            cids.append(cid)  # type: ignore[arg-type]  # _text() checked it is a str
        completion = response.get("completion")
        files = completion.get("files") if type(completion) is dict else None
        if type(files) is not list or len(files) != 1:
            out.append(Problem(f"{path}.completion.files", f"must hold exactly one file, {HTML_FILENAME}", "files"))
        else:
            _check_file(f"{path}.completion.files[0]", files[0], out)
    return cids


def _check_ground_truth(cids: list[str], ground_truth: object, out: list[Problem]) -> None:
    if type(ground_truth) is not dict:
        out.append(Problem("ground_truth", "must be an object mapping each cid to its rank", "ground_truth"))
        return
    if ground_truth.keys() != set(cids):
        missing = sorted(set(cids) - ground_truth.keys())
        extra = sorted(ground_truth.keys() - set(cids))
        out.append(Problem("ground_truth", f"keys must equal the set of cids (missing {missing}, unknown {extra})",
                           "ground_truth"))
    # `type(...) is int` also refuses JSON true/false, which Dojo's dict[str, int] would coerce silently.
    bad = [key for key, rank in ground_truth.items() if type(rank) is not int]
    if bad:
        out.append(Problem(f"ground_truth.{bad[0]}", "ranks must be integers", "ranks"))
    elif sorted(ground_truth.values()) != list(range(len(ground_truth))):
        out.append(Problem("ground_truth", f"ranks must be exactly 0..{len(ground_truth) - 1}, 0 = best; got "
                           f"{sorted(ground_truth.values())}", "ranks"))


def _check_metadata(metadata: object, out: list[Problem]) -> None:
    if type(metadata) is not dict:
        out.append(Problem("metadata", "must be an object with augment_type (Dojo reads it by key)", "metadata"))
        return
    if metadata.get("augment_type") not in AUGMENT_TYPES:
        out.append(Problem("metadata.augment_type", f"must be one of {', '.join(AUGMENT_TYPES)}", "augment_type"))
    for key, value in metadata.items():
        if type(value) is not str:
            out.append(Problem(f"metadata.{key}", "values must be strings (Dojo stores dict[str, str])", "metadata"))


def validate_body(body: object) -> list[Problem]:
    """Every rule `body` (a decoded v1 QAP body) breaks; empty when Dojo would accept it."""
    if type(body) is not dict:
        return [Problem("qap", "must be a JSON object", "not_object")]
    out: list[Problem] = []
    if not _text(body.get("prompt")):
        out.append(Problem("prompt", "must be a non-empty string", "prompt"))
    cids = _check_responses(body.get("responses"), out)
    _check_ground_truth(cids, body.get("ground_truth"), out)
    _check_metadata(body.get("metadata"), out)
    return out


def validate_v2_ids(body: Mapping[str, Any]) -> list[Problem]:
    """Every cid of a valid body that could not serve as a v2 id (a pair listed with one could never be popped)."""
    return [Problem(f"responses[{i}].cid", f"must be {V2_ID_RULE} for the v2 pool", "cid")
            for i, response in enumerate(body["responses"]) if not V2_ID.fullmatch(response["cid"])]


def reasons(problems: list[Problem]) -> list[str]:
    """The distinct reasons of `problems`, in first-seen order (each counted once per refused QAP)."""
    return list(dict.fromkeys(p.reason for p in problems))


def summary(problems: list[Problem]) -> str:
    """One line naming every problem."""
    return "; ".join(f"{p.field}: {p.description}" for p in problems)


def ranked_cids(body: Mapping[str, Any]) -> list[str]:
    """The cids of a valid body, best (rank 0) first."""
    ground_truth: Mapping[str, int] = body["ground_truth"]
    return sorted(ground_truth, key=ground_truth.__getitem__)
