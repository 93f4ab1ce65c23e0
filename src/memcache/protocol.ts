/**
 * memcached's text protocol as functions over bytes: request encoders (requests.ts), the incremental reply reader
 * (replies.ts, metadump.ts) and its errors (reply-errors.ts). No sockets: the connection layer writes what the
 * encoders return and feeds what it receives to a ReplyReader.
 *
 * The wrapper's core reads and writes use the classic commands (get, gets, set, add, replace, cas, delete, touch,
 * incr, decr), which every memcached and proxies such as twemproxy understand; the meta commands (memcached 1.6.10
 * or later, not through twemproxy) are for what classic ones cannot say: the remaining TTL, a CAS token with the
 * value and TTL, quiet pipelining. docs/memcache-client.md has the table and the versions.
 */
export {
  encodeCas,
  encodeDecr,
  encodeDelete,
  encodeFlushAll,
  encodeGet,
  encodeGets,
  encodeIncr,
  encodeMetaArithmetic,
  encodeMetaDelete,
  encodeMetadump,
  encodeMetadumpHash,
  encodeMetaGet,
  encodeMetaNoop,
  encodeMetaSet,
  encodeStats,
  encodeStore,
  encodeTouch,
  encodeVersion,
  InvalidRequestError,
  type MetaArithmeticMode,
  type MetaArithmeticOptions,
  type MetaDeleteOptions,
  type MetaGetOptions,
  type MetaSetMode,
  type MetaSetOptions,
  type StatsGroup,
  type StoreCommand,
} from './requests';
export {
  DEFAULT_MAX_VALUE_LENGTH,
  MAX_LINE_LENGTH,
  ReadOrderError,
  ReplyReader,
  type CounterReply,
  type DeleteStatus,
  type MetadumpEnd,
  type MetaReply,
  type MetaStatus,
  type StatEntry,
  type StoreStatus,
  type TouchStatus,
  type ValueItem,
} from './replies';
export { type MetadumpEntry } from './metadump';
export {
  ClientErrorReply,
  describeReplyError,
  ErrorReply,
  KNOWN_CLIENT_ERROR_TEXTS,
  KNOWN_ERROR_TEXTS,
  KNOWN_SERVER_ERROR_TEXTS,
  ProtocolError,
  ReplyError,
  ServerErrorReply,
  UnknownCommandReply,
  type ErrorReplyKind,
} from './reply-errors';
