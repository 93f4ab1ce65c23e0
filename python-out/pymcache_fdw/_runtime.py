"""Runtime port, Python binding: the twin of src/ports/runtime.ts.

The only hand-written module of the package. The emitter maps ``./ports/runtime`` imports here (camelCase names
become snake_case); every function returns what its Node twin returns and raises the same class names, which
test/runtime checks on shared vectors.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
import zlib
from typing import Dict, List, Optional, Sequence, TypeVar, Union

__all__ = [
    "Bytes", "Float", "JsonValue", "InvalidArgumentError", "DivisionByZeroError", "InvalidUtf8Error",
    "LoneSurrogateError", "InvalidJsonError", "utf8_encode", "utf8_decode", "utf8_byte_length", "code_points",
    "code_point_of", "sorted_strings", "md5", "crc32", "bytes_to_hex", "u32", "u32_add", "u32_mul", "u32_xor",
    "u32_and", "u32_or", "u32_shl", "u32_shr", "u32_rotl", "parse_decimal_int", "parse_decimal_float", "int_to_string",
    "format_float", "int_div", "json_stringify", "json_parse", "now_seconds", "array_item", "bytes_find",
    "bytes_starts_with", "bytes_concat", "bytes_join", "bytes_equal", "bytes_compare", "bytes_split", "is_ascii_digits",
    "parse_ascii_digits", "latin1_decode", "int_to_ascii", "has_space_or_control", "bytes_of",
]

Bytes = bytes
Float = float
JsonValue = Union[None, bool, int, str, List["JsonValue"], Dict[str, "JsonValue"]]

_MAX_SAFE = 2**53 - 1
_MASK32 = 0xFFFFFFFF
_T = TypeVar("_T")


class InvalidArgumentError(ValueError):
    """An argument a runtime function cannot take (a fraction where an integer is needed, a non-finite float, ...)."""


class DivisionByZeroError(ZeroDivisionError):
    """int_div by zero."""


class InvalidUtf8Error(InvalidArgumentError):
    """Bytes that are not valid UTF-8; ``offset`` is the byte offset where the first invalid sequence starts."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"invalid UTF-8 at byte offset {offset}: {reason}")
        self.offset = offset


class LoneSurrogateError(InvalidArgumentError):
    """A string holding an unpaired surrogate, which has no UTF-8 encoding; ``index`` counts code points."""

    def __init__(self, index: int) -> None:
        super().__init__(f"string cannot be encoded as UTF-8: lone surrogate at code point index {index}")
        self.index = index


class InvalidJsonError(InvalidArgumentError):
    """Text that is not JSON in the accepted subset (standard JSON, numbers limited to safe integers)."""


def utf8_encode(s: str) -> bytes:
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError as error:
        raise LoneSurrogateError(error.start) from None


def utf8_decode(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidUtf8Error(error.start, error.reason) from None


def utf8_byte_length(s: str) -> int:
    return len(utf8_encode(s))


def code_points(s: str) -> List[str]:
    return list(s)


def code_point_of(ch: str) -> int:
    if len(ch) != 1:
        raise InvalidArgumentError(f"codePointOf expects exactly one code point, got {len(ch)}")
    return ord(ch)


def sorted_strings(items: Sequence[str]) -> List[str]:
    return sorted(items)


def md5(b: bytes) -> bytes:
    return hashlib.md5(b).digest()


def crc32(b: bytes) -> int:
    return zlib.crc32(b) & _MASK32


def bytes_to_hex(b: bytes) -> str:
    return b.hex()


def _require_integer(fn: str, n: object) -> int:
    # bool is an int subclass in Python; JS has no such overlap, so refuse it like any non-number.
    if isinstance(n, bool) or not isinstance(n, int):
        raise InvalidArgumentError(f"{fn} expects an integer, got {n!r}")
    return n


def u32(n: int) -> int:
    return _require_integer("u32", n) & _MASK32


def u32_add(a: int, b: int) -> int:
    return (u32(a) + u32(b)) & _MASK32


def u32_mul(a: int, b: int) -> int:
    return (u32(a) * u32(b)) & _MASK32


def u32_xor(a: int, b: int) -> int:
    return u32(a) ^ u32(b)


def u32_and(a: int, b: int) -> int:
    return u32(a) & u32(b)


def u32_or(a: int, b: int) -> int:
    return u32(a) | u32(b)


def _require_shift(fn: str, n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0 or n > 31:
        raise InvalidArgumentError(f"{fn} expects a shift count from 0 to 31, got {n!r}")
    return n


def u32_shl(a: int, n: int) -> int:
    return (u32(a) << _require_shift("u32Shl", n)) & _MASK32


def u32_shr(a: int, n: int) -> int:
    return u32(a) >> _require_shift("u32Shr", n)


def u32_rotl(a: int, n: int) -> int:
    count = _require_shift("u32Rotl", n)
    x = u32(a)
    return ((x << count) | (x >> (32 - count))) & _MASK32


# [0-9], not \d (which matches every Unicode digit); fullmatch, because $ also matches before a trailing newline.
_DECIMAL_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_decimal_int(s: str) -> Optional[int]:
    if _DECIMAL_INT.fullmatch(s) is None:
        return None
    value = int(s)
    if value > _MAX_SAFE or value < -_MAX_SAFE:
        return None
    return value


def parse_decimal_float(s: str) -> Optional[float]:
    if _DECIMAL_FLOAT.fullmatch(s) is None:
        return None
    value = float(s)
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def int_to_string(n: int) -> str:
    if isinstance(n, bool) or not isinstance(n, int) or n > _MAX_SAFE or n < -_MAX_SAFE:
        raise InvalidArgumentError(f"intToString expects a safe integer, got {n!r}")
    return str(n)


def format_float(f: float) -> str:
    if isinstance(f, bool) or not isinstance(f, (int, float)) or f != f or f in (float("inf"), float("-inf")):
        raise InvalidArgumentError(f"formatFloat expects a finite number, got {f!r}")
    return repr(float(f))


def int_div(a: int, b: int) -> int:
    _require_integer("intDiv", a)
    _require_integer("intDiv", b)
    if b == 0:
        raise DivisionByZeroError("integer division by zero")
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_json_encodable(value: object) -> None:
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if value > _MAX_SAFE or value < -_MAX_SAFE:
            raise InvalidArgumentError(f"jsonStringify accepts only safe integers as numbers, got {value}")
        return
    if isinstance(value, list):
        for item in value:
            _check_json_encodable(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgumentError(f"jsonStringify accepts only string keys, got {key!r}")
            _check_json_encodable(item)
        return
    if isinstance(value, float):
        raise InvalidArgumentError(f"jsonStringify accepts only safe integers as numbers, got {value!r}")
    raise InvalidArgumentError(f"jsonStringify cannot encode a value of type {type(value).__name__}")


def json_stringify(v: JsonValue) -> str:
    _check_json_encodable(v)
    text = json.dumps(v, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # JSON.stringify escapes lone surrogates (\udxxx, lowercase hex); json.dumps would emit them raw.
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)


def _refuse_float(token: str) -> float:
    raise InvalidJsonError(f"invalid JSON: only integer numbers are accepted, got {token}")


def _refuse_constant(token: str) -> float:
    raise InvalidJsonError(f"invalid JSON: {token} is not JSON")


def _safe_int(token: str) -> int:
    value = int(token)
    if value > _MAX_SAFE or value < -_MAX_SAFE:
        raise InvalidJsonError(f"invalid JSON: integer {token} is beyond 2^53-1")
    return value


def json_parse(s: str) -> JsonValue:
    try:
        parsed: JsonValue = json.loads(
            s, parse_float=_refuse_float, parse_int=_safe_int, parse_constant=_refuse_constant
        )
    except InvalidJsonError:
        raise
    except ValueError as error:  # json.JSONDecodeError, RecursionError excluded
        raise InvalidJsonError(f"invalid JSON: {error}") from None
    return parsed


def now_seconds() -> int:
    return int(time.time())


def array_item(seq: Sequence[_T], index: int) -> Optional[_T]:
    if index < 0 or index >= len(seq):
        return None
    return seq[index]


# ---- Bytes primitives for the memcached protocol (src/memcache/) ----
# bytes_find, bytes_starts_with, bytes_concat, bytes_equal, is_ascii_digits and latin1_decode are one expression
# each, which the emitter writes inline where they are called.


def bytes_find(haystack: bytes, needle: bytes, start: int) -> int:
    return haystack.find(needle, start)


def bytes_starts_with(data: bytes, prefix: bytes, position: int) -> bool:
    return data.startswith(prefix, position)


def bytes_concat(parts: Sequence[bytes]) -> bytes:
    return bytes().join(parts)


def bytes_join(parts: Sequence[bytes], separator: bytes) -> bytes:
    return separator.join(parts)


def bytes_equal(a: bytes, b: bytes) -> bool:
    return a == b


def bytes_compare(a: bytes, b: bytes) -> int:
    return (a > b) - (a < b)


def bytes_split(data: bytes, separator: bytes) -> List[bytes]:
    if not separator:
        raise InvalidArgumentError("bytesSplit expects a non-empty separator")
    return data.split(separator)


def is_ascii_digits(b: bytes) -> bool:
    # bytes.isdigit() is ASCII-only (str.isdigit() would accept every Unicode digit) and False when empty.
    return b.isdigit()


def parse_ascii_digits(b: bytes) -> int:
    # At most 15 digits: every such number is below 2^53, so Node's number is exact too; int() alone would accept
    # signs, spaces and underscores.
    return int(b) if len(b) <= 15 and b.isdigit() else -1


def latin1_decode(b: bytes) -> str:
    return b.decode("latin-1")


def int_to_ascii(n: int) -> bytes:
    if isinstance(n, bool) or not isinstance(n, int) or n > _MAX_SAFE or n < -_MAX_SAFE:
        raise InvalidArgumentError(f"intToAscii expects a safe integer, got {n!r}")
    return b"%d" % n


# Bytes that end or split a text-protocol token: C0 controls, space and DEL.
_SPACE_OR_CONTROL = re.compile(rb"[\x00-\x20\x7f]")


def has_space_or_control(b: bytes) -> bool:
    return _SPACE_OR_CONTROL.search(b) is not None


def bytes_of(values: Sequence[int]) -> bytes:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 255:
            raise InvalidArgumentError(f"bytesOf expects byte values from 0 to 255, got {value!r}")
    return bytes(values)
