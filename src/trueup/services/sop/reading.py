"""Read an SOP file: YAML into located nodes, then the domain's reader into a `Sop`.

PyYAML's composer keeps where every value was written; this module only turns its nodes
into `Node`s with typed scalars (numbers exact as `Decimal`, never floats) and leaves every
rule to `domain/sop/reading.py`. Keys are taken as written, so an unquoted `yes:` stays the
text `yes` and not YAML 1.1's boolean.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from importlib import resources

import yaml

from trueup.domain.errors import RowProblem, SopInvalid
from trueup.domain.sop import reading
from trueup.domain.sop.model import Sop
from trueup.domain.sop.tree import Node, Scalar

DEFAULT_FILE = "default_imbalance.yaml"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


def default_sop_text() -> str:
    """The imbalance SOP that ships with trueup, as its file's text."""
    return resources.files("trueup.domain.sop").joinpath(DEFAULT_FILE).read_text("utf-8")


def read_sop(text: str, *, source: str = "<sop>") -> Sop:
    """The SOP in `text`, or SopInvalid naming each problem's line and column."""
    return reading.read(parse_yaml(text, source=source), source)


def parse_yaml(text: str, *, source: str = "<sop>") -> Node:
    """The file as located nodes; a YAML syntax error is one problem at its place."""
    try:
        root = yaml.compose(text.removeprefix("\ufeff"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem, expected = error.problem or "", "valid YAML"
        if "\t" in problem or "\\t" in problem:
            problem, expected = "a tab", "indentation with spaces, not tabs"
        raise SopInvalid(
            [RowProblem(line, "yaml", problem, expected, file=source, column=column)]
        ) from None
    except yaml.YAMLError as error:
        raise SopInvalid([RowProblem(1, "yaml", str(error), "valid YAML", file=source)]) from None
    if root is None:
        raise SopInvalid([RowProblem(1, "sop", "", "an SOP file, not an empty one", file=source)])
    return _node(root)


def _node(node: yaml.Node) -> Node:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.MappingNode):
        pairs = tuple((str(key.value), _node(key), _node(value)) for key, value in node.value)
        return Node(line, column, pairs=pairs)
    if isinstance(node, yaml.SequenceNode):
        return Node(line, column, items=tuple(_node(item) for item in node.value))
    text = str(node.value)
    return Node(line, column, scalar=_scalar(node.tag, text), text=text)


def _scalar(tag: str, text: str) -> Scalar:
    """A plain scalar's value as YAML resolved it, with numbers kept exact."""
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text.lower() in {"true", "yes", "on", "y"}
    if tag == _INT:
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    if tag == _FLOAT:
        try:
            return Decimal(text.replace("_", ""))
        except InvalidOperation:
            return text
    return text
