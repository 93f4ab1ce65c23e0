# multicorn2 3.x (python/multicorn/utils.py): logging to PostgreSQL; ERROR and CRITICAL raise MulticornException.
DEBUG: int
INFO: int
WARNING: int
ERROR: int
CRITICAL: int

class MulticornException(Exception):
    code: int
    hint: str | None
    detail: str | None
    def __init__(self, message: str, code: int, hint: str | None, detail: str | None) -> None: ...

def log_to_postgres(message: str, level: int = ..., hint: str | None = ..., detail: str | None = ...) -> None: ...
def check_interrupts() -> None: ...
