"""The one way the emulator checks what it is told: a JSON Schema (the subset the control API and
the provisioning spec use), checked here and, unchanged, published in the OpenAPI document.

A mistake is a `ControlError` that names the field (`accounts[0].numbers[1].sms_url must be a
string`), so a typo is one clear line. A null value means "not given" and is dropped, unless the
field's type admits null (`{"type": ["string", "null"]}`).
"""

from __future__ import annotations

from typing import Any

from emulator.errors import ControlError

Schema = dict[str, Any]

NAMES = {
    "string": "a string",
    "boolean": "true or false",
    "integer": "an integer",
    "number": "a number",
    "object": "an object",
    "array": "a list",
}


def obj(*, required: tuple[str, ...] = (), **properties: Schema | str) -> Schema:
    """An object of these properties and no others; a property given as a type name is of that type."""
    schema: Schema = {
        "type": "object",
        "properties": {k: {"type": v} if isinstance(v, str) else v for k, v in properties.items()},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def pick(schema: Schema, *names: str, **more: Schema | str) -> Schema:
    """An object of some of `schema`'s properties, and `more`."""
    return obj(**{name: schema["properties"][name] for name in names}, **more)


def array(items: Schema | str, **limits: int) -> Schema:
    return {"type": "array", "items": {"type": items} if isinstance(items, str) else items, **limits}


def _kinds(schema: Schema) -> list[str]:
    kind = schema.get("type", [])
    return kind if isinstance(kind, list) else [kind]


def _is(kind: str, value: Any) -> bool:
    if kind == "null":
        return value is None
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    types = {"string": str, "boolean": bool, "integer": int, "number": (int, float), "object": dict, "array": list}
    return isinstance(value, types[kind])


def _wants(schema: Schema) -> str:
    """What a value of this schema must be, in words."""
    kinds = _kinds(schema)
    words = [NAMES[k] for k in kinds if k != "null"]
    low, high = schema.get("minimum"), schema.get("maximum")
    if high is not None:
        words = [f"{w} from {low:g} to {high:g}" for w in words]
    elif low == 0:
        words = [f"a non-negative {w.removeprefix('an ').removeprefix('a ')}" for w in words]
    elif low == 1:
        words = [f"a positive {w.removeprefix('an ').removeprefix('a ')}" for w in words]
    items = schema.get("items", {}).get("type")
    if items in ("string", "object"):
        words = [f"{w} of {items}s" for w in words]
    return " or ".join(words) + (" or null" if "null" in kinds else "")


def validate(schema: Schema, value: Any, where: str) -> Any:
    """`value` checked against `schema`: an object comes back without its null (not given) fields."""
    if "enum" in schema:
        if value not in schema["enum"]:
            field = where.replace(".", " ")  # "fault.kind" reads "unknown fault kind 'x'"
            raise ControlError(f"unknown {field} {value!r}; known: {', '.join(map(str, schema['enum']))}")
        return value
    kinds = _kinds(schema)
    low, high = schema.get("minimum"), schema.get("maximum")
    if (
        not any(_is(k, value) for k in kinds)
        or (low is not None and value is not None and value < low)
        or (high is not None and value is not None and value > high)
    ):
        raise ControlError(f"{where} must be {_wants(schema)}")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            raise ControlError(f"{where} holds at most {schema['maxItems']} items")
        items = schema.get("items")
        if items and "properties" not in items and not all(any(_is(k, i) for k in _kinds(items)) for i in value):
            raise ControlError(f"{where} must be {_wants(schema)}")  # a list of strings, as a whole
        return [validate(items, item, f"{where}[{i}]") for i, item in enumerate(value)] if items else value
    if isinstance(value, dict) and "properties" in schema:
        return _fields(schema, value, where)
    return value


def _fields(schema: Schema, value: dict[str, Any], where: str) -> dict[str, Any]:
    properties: dict[str, Schema] = schema["properties"]
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(value) - set(properties))
        if unknown:
            raise ControlError(
                f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(properties))}"
            )
    given = {}
    for key, item in value.items():
        if item is None and "null" not in _kinds(properties[key]):
            continue
        given[key] = validate(properties[key], item, f"{where}.{key}")
    for key in schema.get("required", []):
        if key not in given:
            raise ControlError(f"{where} needs {key!r}")
    return given
