// How the wrapper reports to PostgreSQL: every error goes through Multicorn's log_to_postgres at ERROR (which raises),
// so the client sees our message, HINT and DETAIL instead of a Python traceback.
import { ERROR, WARNING, logToPostgres } from './ports/host';

/** Ends the statement with an ERROR; `hint` says what to do about it. */
export function raiseError(message: string, hint: string | null = null, detail: string | null = null): never {
  logToPostgres(message, ERROR, hint, detail);
  // Not reached: log_to_postgres raises at ERROR. The throw keeps both languages' control flow explicit.
  throw new Error(message);
}

/** A WARNING sent to the client; the statement goes on. */
export function warn(message: string, hint: string | null = null, detail: string | null = null): void {
  logToPostgres(message, WARNING, hint, detail);
}
