// The options that decide how the backend talks to a memcached server and who it is there: TLS (`tls`, `tls_ca_file`,
// `tls_cert_file`, `tls_key_file`) and memcached's ASCII authentication (`username`, `password`). Multicorn merges the
// user mapping's options into the table's, so credentials arrive here like any option; the pymcache_fdw extension
// makes sure that `username` and `password` can only come from a user mapping (extension/pymcache_fdw--1.0.sql).
// No message ever holds the password: it is checked without being quoted.
import { raiseError } from './errors';
import type { ConnectionSecurity } from './memcache/connection';
import { quoteForMessage } from './keys';
import { OptionError, parseEnumOption } from './options';
import { guardStatus, userMappingViolation } from './ports/backend';
import { codePointOf, codePoints, utf8ByteLength } from './ports/runtime';
import type { TlsMode } from './ports/socket';

/** The options this module reads, accepted by both kinds of tables. */
export const SECURITY_OPTIONS: string[] = [
  'tls',
  'tls_ca_file',
  'tls_cert_file',
  'tls_key_file',
  'username',
  'password',
];

export const TLS_MODES: TlsMode[] = ['off', 'on', 'insecure'];

/**
 * What a user mapping may hold: credentials, as postgres_fdw's user, password, sslcert and sslkey. Everything that
 * decides what a user reaches (host, port, servers, prefix, distribution, ...) is the table's or the server's, set by
 * their owners (the extension's credential_options() says the same to its event trigger).
 */
export const USER_MAPPING_OPTIONS: string[] = ['username', 'password', 'tls_cert_file', 'tls_key_file'];

const GUARD_MISSING_HINT =
  'Install the pymcache_fdw extension (make -C extension install, see the README): without pymcache_fdw.so the ' +
  'user mappings cannot be checked, and PREPARE TRANSACTION and INSERT ... ON CONFLICT could lose or overwrite writes.';

/**
 * Refuses to build a table's wrapper when a user mapping that applies to the current user sets more than credentials.
 * Multicorn merges the user mapping's options last, so they win, and any role with USAGE on a server may create its
 * own mapping: with `prefix 'admin:'` or another host it would read what the owners never gave it. The extension's
 * event trigger refuses such mappings when they are created; this check holds even in a database without it.
 */
export function refuseWideningUserMapping(): void {
  if (guardStatus() === 'guard-missing') {
    raiseError(
      "cannot use a cache table: pymcache_fdw's guard library (pymcache_fdw.so in PostgreSQL's library directory) is not installed",
      GUARD_MISSING_HINT,
    );
  }
  const violation = userMappingViolation(USER_MAPPING_OPTIONS);
  if (violation === null) return;
  const [server, option] = violation;
  if (server === '') {
    raiseError(
      'could not check the user mappings of pymcache_fdw servers',
      'The catalog pg_user_mapping could not be read: try again, and see the server log.',
    );
  }
  raiseError(
    `option "${option}" cannot be set in a user mapping of server "${server}"`,
    'Options that decide what a user reaches (host, port, servers, prefix, distribution, ...) belong to the ' +
      `foreign table or the server, set by their owners: ALTER USER MAPPING ... OPTIONS (DROP ${option}).`,
    `A user mapping of a pymcache_fdw server carries only credentials (${USER_MAPPING_OPTIONS.join(', ')}).`,
  );
}

/**
 * memcached reads its -Y file in lines of at most 256 bytes (`username:password` and the line end), and the login it
 * receives as `<username> <password>` split at spaces.
 */
const MAX_CREDENTIALS_BYTES = 254;

const SECURITY_HINT =
  "Change it with ALTER FOREIGN TABLE or ALTER SERVER ... OPTIONS (SET name 'value'); tls_cert_file and tls_key_file " +
  'may also be set in a user mapping.';
const CREDENTIALS_HINT =
  "Set them in the user mapping: ALTER USER MAPPING FOR ... SERVER ... OPTIONS (SET username '...', SET password '...').";

/** Whether `text` holds a control character (which would break a memcached command line). */
function hasControlCharacter(text: string): boolean {
  for (const ch of codePoints(text)) {
    const codePoint = codePointOf(ch);
    if (codePoint < 0x20 || codePoint === 0x7f) return true;
  }
  return false;
}

/** Whether `text` holds a space, a control character or `forbidden`. */
function hasSpaceOrControl(text: string, forbidden: string): boolean {
  for (const ch of codePoints(text)) {
    const codePoint = codePointOf(ch);
    if (codePoint <= 0x20 || codePoint === 0x7f || ch === forbidden) return true;
  }
  return false;
}

/** An absolute path without control characters; the files are read by the PostgreSQL server process. */
function parsePath(options: Record<string, string>, name: string): string | null {
  const raw = options[name];
  if (raw === undefined) return null;
  if (!raw.startsWith('/') || hasControlCharacter(raw)) {
    raiseError(
      'invalid value ' + quoteForMessage(raw) + ' for option "' + name + '": expected the absolute path of a PEM file',
      'The PostgreSQL server process (its operating-system user) reads the file: give its absolute path.',
    );
  }
  return raw;
}

function parseTlsMode(options: Record<string, string>): TlsMode {
  const raw = options['tls'];
  if (raw === undefined) return 'off';
  try {
    return parseEnumOption('tls', raw, TLS_MODES);
  } catch (error) {
    if (error instanceof OptionError) raiseError(error.message, SECURITY_HINT);
    throw error;
  }
}

/** The username, checked: memcached splits the login at spaces and its -Y file at the first colon. */
function parseUsername(raw: string): string {
  if (raw === '' || hasSpaceOrControl(raw, ':')) {
    raiseError(
      'invalid value ' +
        quoteForMessage(raw) +
        ' for option "username": expected a name without spaces, control characters or colons',
      "memcached's -Y file holds username:password lines, and the login is sent as username and password separated by a space.",
    );
  }
  return raw;
}

/** The password, checked without ever being quoted. */
function parsePassword(raw: string): string {
  if (raw === '' || hasSpaceOrControl(raw, ' ')) {
    raiseError(
      'invalid value for option "password": expected a password without spaces or control characters (the value is not shown)',
      'memcached 1.6 splits the login it receives at spaces, so a password with a space can never match. ' +
        CREDENTIALS_HINT,
    );
  }
  return raw;
}

/**
 * The TLS settings and credentials of `options`, checked: `tls` is off, on or insecure; `tls_ca_file` needs tls 'on'
 * (it is what verification checks against); `tls_cert_file` and `tls_key_file` come together and need TLS; `username`
 * and `password` come together.
 */
export function parseConnectionSecurity(options: Record<string, string>): ConnectionSecurity {
  const tls = parseTlsMode(options);
  const caFile = parsePath(options, 'tls_ca_file');
  const certFile = parsePath(options, 'tls_cert_file');
  const keyFile = parsePath(options, 'tls_key_file');
  if (caFile !== null && tls !== 'on') {
    raiseError(
      'option "tls_ca_file" needs tls \'on\': ' +
        (tls === 'off' ? 'TLS is off' : "tls 'insecure' does not verify the server's certificate"),
      "Set tls 'on' to verify the server's certificate against tls_ca_file, or DROP tls_ca_file.",
    );
  }
  if ((certFile === null) !== (keyFile === null)) {
    const missing = certFile === null ? 'tls_cert_file' : 'tls_key_file';
    const given = certFile === null ? 'tls_key_file' : 'tls_cert_file';
    raiseError(
      'options "tls_cert_file" and "tls_key_file" go together: ' + given + ' is set without ' + missing,
      'A client certificate is sent with its private key: set both (in the table, the server or the user mapping), or neither.',
    );
  }
  if (certFile !== null && tls === 'off') {
    raiseError(
      'options "tls_cert_file" and "tls_key_file" need TLS: TLS is off',
      "Set tls 'on' (or 'insecure') to present the client certificate, or DROP tls_cert_file and tls_key_file.",
    );
  }
  const rawUsername = options['username'];
  const rawPassword = options['password'];
  if ((rawUsername === undefined) !== (rawPassword === undefined)) {
    raiseError(
      'options "username" and "password" go together: ' +
        (rawUsername === undefined ? 'password is set without username' : 'username is set without password'),
      CREDENTIALS_HINT,
    );
  }
  let username: string | null = null;
  let password: string | null = null;
  if (rawUsername !== undefined && rawPassword !== undefined) {
    username = parseUsername(rawUsername);
    password = parsePassword(rawPassword);
    if (utf8ByteLength(username) + utf8ByteLength(password) > MAX_CREDENTIALS_BYTES) {
      raiseError(
        'options "username" and "password" are too long together: memcached reads at most 254 bytes of them from its -Y file',
        CREDENTIALS_HINT,
      );
    }
  }
  return {
    tls: tls,
    tlsCaFile: caFile,
    tlsCertFile: certFile,
    tlsKeyFile: keyFile,
    username: username,
    password: password,
  };
}
