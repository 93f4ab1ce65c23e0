// The comments of the TypeScript source, found where Python wants them: the file's header block (the module
// docstring), the comments before a statement or class member (`#` comments at the same place), a comment at the end
// of a statement's line, comments left at the end of a block. And their text written for a Python reader: names the
// emitter renames are written as their Python names (`getRelSize` -> `get_rel_size`), and `null`, `undefined`,
// `true`, `false` in backticks (and in prose where they are a value) become `None`, `True`, `False`.
import { ts } from 'ts-morph';

/** One comment of the source: its lines (without `//`, `/*`, `*`), and whether a blank line separates it from what precedes it. */
export interface SourceComment {
  lines: string[];
  blankBefore: boolean;
  /** A `/** ... *\/` comment: its text is the JSDoc's (tags as reST fields), see jsdoc.ts. */
  jsDoc: boolean;
  /** A `//` comment that directly continues the `//` comment on the line above (one paragraph of the source). */
  continuesLine: boolean;
  pos: number;
  end: number;
}

function isJsDocText(text: string): boolean {
  return text.startsWith('/**') && !text.startsWith('/**/');
}

/** The lines of a `//` or `/* *\/` comment, without its markers (and the leading ` * ` of block comment lines). */
export function commentBody(text: string): string[] {
  if (text.startsWith('//')) return [text.slice(2).replace(/^ /, '').trimEnd()];
  const inner = text.replace(/^\/\*\*?/, '').replace(/\*\/$/, '');
  const lines = inner.split('\n').map((line) => line.replace(/^\s*\* ?/, '').trimEnd());
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines;
}

function toComment(
  file: ts.SourceFile,
  range: ts.CommentRange,
  previousEnd: number,
  previous: ts.CommentRange | undefined,
): SourceComment {
  const text = file.text.slice(range.pos, range.end);
  const between = file.text.slice(previousEnd, range.pos);
  const isLine = (r: ts.CommentRange): boolean => r.kind === ts.SyntaxKind.SingleLineCommentTrivia;
  return {
    lines: commentBody(text),
    blankBefore: /\n[ \t]*\r?\n/.test(between),
    jsDoc: isJsDocText(text),
    continuesLine: previous !== undefined && isLine(previous) && isLine(range) && /^[ \t]*\r?\n[ \t]*$/.test(between),
    pos: range.pos,
    end: range.end,
  };
}

/**
 * The header of a file: the block of `//` lines at its very top, up to the first line that is not one (a blank line
 * or code). It becomes the module docstring; `//` alone is an empty line (a paragraph break).
 */
export function headerComment(file: ts.SourceFile): { lines: string[]; end: number } | null {
  const ranges = ts.getLeadingCommentRanges(file.text, 0) ?? [];
  const lines: string[] = [];
  let end = 0;
  for (const range of ranges) {
    const text = file.text.slice(range.pos, range.end);
    const between = file.text.slice(end, range.pos);
    if (range.kind !== ts.SyntaxKind.SingleLineCommentTrivia || (lines.length > 0 && /\n[ \t]*\r?\n/.test(between)))
      break;
    lines.push(...commentBody(text));
    end = range.end;
  }
  return lines.length === 0 ? null : { lines, end };
}

/**
 * The comments on the lines before `node` (after the previous token's line), each with its text; for the first
 * statement of a block also one on the line of the opening brace. `after` skips comments before that position (the
 * file header).
 */
export function leadingComments(
  node: ts.Node,
  options: { afterOpeningBrace: boolean; after: number },
): SourceComment[] {
  const file = node.getSourceFile();
  const ranges = [
    ...(options.afterOpeningBrace ? (ts.getTrailingCommentRanges(file.text, node.pos) ?? []) : []),
    ...(ts.getLeadingCommentRanges(file.text, node.pos) ?? []),
  ];
  const seen = new Set<number>();
  const out: SourceComment[] = [];
  let previousEnd = node.pos;
  let previous: ts.CommentRange | undefined;
  for (const range of ranges) {
    if (seen.has(range.pos)) continue;
    seen.add(range.pos);
    if (range.end <= options.after) {
      previousEnd = range.end;
      continue;
    }
    out.push(toComment(file, range, previousEnd, previous));
    previousEnd = range.end;
    previous = range;
  }
  return out;
}

/** Whether a blank line separates `node` (with its leading comments) from what precedes it. */
export function blankLineBefore(node: ts.Node): boolean {
  const file = node.getSourceFile();
  const ranges = ts.getLeadingCommentRanges(file.text, node.pos) ?? [];
  const first = ranges[0]?.pos ?? node.getStart(file);
  return /\n[ \t]*\r?\n/.test(file.text.slice(node.pos, first));
}

/** A comment after `node` on the same line (`x = 1; // why`), as one line of text, or null. */
export function trailingComment(node: ts.Node): string | null {
  const file = node.getSourceFile();
  const ranges = ts.getTrailingCommentRanges(file.text, node.end) ?? [];
  if (ranges.length === 0) return null;
  return ranges.map((r) => commentBody(file.text.slice(r.pos, r.end)).join(' ')).join(' ');
}

/** Comments after the last of `statements` (or inside an empty block) up to the closing brace or the end of file. */
export function danglingComments(statements: ts.NodeArray<ts.Node>, file: ts.SourceFile): SourceComment[] {
  const last = statements[statements.length - 1];
  const ranges =
    last === undefined
      ? [
          ...(ts.getTrailingCommentRanges(file.text, statements.pos) ?? []),
          ...(ts.getLeadingCommentRanges(file.text, statements.pos) ?? []),
        ]
      : (ts.getLeadingCommentRanges(file.text, last.end) ?? []);
  let previousEnd = last === undefined ? statements.pos : last.end;
  let previous: ts.CommentRange | undefined;
  return ranges.map((range) => {
    const comment = toComment(file, range, previousEnd, previous);
    previousEnd = range.end;
    previous = range;
    return comment;
  });
}

/** How a comment names things: the Python name of a TS identifier mentioned at this place, or null to keep it. */
export type CommentNames = (identifier: string) => string | null;

const LITERALS: Readonly<Record<string, string>> = { null: 'None', undefined: 'None', true: 'True', false: 'False' };

/** A word's Python name; `#member` (a JS private name) is written as the Python name alone (`_member`). */
function renameWord(word: string, names: CommentNames): string {
  const bare = word.startsWith('#') ? word.slice(1) : word;
  const renamed = names(bare);
  if (renamed === null) return word;
  return word.startsWith('#') && renamed.startsWith('_') ? renamed : word.startsWith('#') ? `#${renamed}` : renamed;
}

/** Identifiers of a code span (in backticks), outside the quoted strings it may hold. */
function renameCode(code: string, names: CommentNames): string {
  const literal = LITERALS[code.trim()];
  if (literal !== undefined) return code.replace(code.trim(), literal);
  return code.replace(/('[^']*'|"[^"]*")|\bthis\.|#?[A-Za-z_$][A-Za-z0-9_$]*/g, (match, quoted: string | undefined) => {
    if (quoted !== undefined) return match;
    if (match === 'this.') return 'self.';
    return renameWord(match, names);
  });
}

const LITERAL_WORD = 'null|undefined|true|false';
/** One literal word, or several joined by `or` / `and` (`null or false`): a group is written as a whole or not at all. */
const LITERAL_GROUP = new RegExp(`\\b(?:${LITERAL_WORD})(?:\\s+(?:or|and)\\s+(?:${LITERAL_WORD}))*\\b`, 'g');
/** What may come before a group that is a value: `or`, `else`, an opening parenthesis, `;`, `:` or `,`. */
const VALUE_BEFORE = /(?:\b(?:or|else)\s+|[(;:,]\s*)$/;
/** What may come after it (or the end): punctuation that closes the phrase, or a word that states when it is that value. */
const VALUE_AFTER =
  /^(?:[.,;:)]|\s+\(|\s+(?:when|while|once|until|unless|otherwise|only|for|to|where|beyond|if|or|and)\b)/;
/** A list of the literals themselves (`true, false, null`, `true/false`): words of a syntax, not values. */
const LIST_BEFORE = new RegExp(`\\b(?:${LITERAL_WORD})\\s*[,/]\\s*$`);
const LIST_AFTER = new RegExp(`^\\s*[,/]\\s*(?:${LITERAL_WORD})\\b`);

/**
 * The words `null`, `undefined`, `true`, `false` in prose where they are a value (`..., or null when ...`,
 * `(false while ...)`, `; null otherwise`, `else null.`) as `None`, `True`, `False`: only between a word or mark that
 * introduces a value (VALUE_BEFORE, or the start of the comment) and one that ends it (VALUE_AFTER), and never in
 * a list of the literals themselves. Any other use (`is false`, `the JSON literals true, false, null`,
 * `answers true`) is prose and stays as written.
 */
function proseLiterals(piece: string, atStart: boolean, atEnd: boolean): string {
  return piece.replace(LITERAL_GROUP, (group: string, offset: number) => {
    const before = piece.slice(0, offset);
    const after = piece.slice(offset + group.length);
    if (!((atStart && before.trim() === '') || VALUE_BEFORE.test(before))) return group;
    if (!((atEnd && after.trim() === '') || VALUE_AFTER.test(after))) return group;
    if (LIST_BEFORE.test(before) || LIST_AFTER.test(after)) return group;
    return group.replace(new RegExp(`\\b(?:${LITERAL_WORD})\\b`, 'g'), (word) => LITERALS[word]!);
  });
}

/**
 * A comment's text for a Python reader. Inside backticks (code): identifiers the emitter renames get their Python
 * names, and a span that is just `null`/`undefined`/`true`/`false` becomes `None`/`True`/`False`. In prose only
 * camelCase words are candidates (an ordinary word is not renamed anyway), and only those that name something; the
 * literal words only where they are a value (proseLiterals).
 */
export function pythonizeComment(text: string, names: CommentNames): string {
  const pieces = text.split(/(`[^`\n]*`)/);
  return pieces
    .map((piece, i) => {
      if (piece.startsWith('`') && piece.endsWith('`') && piece.length >= 2)
        return `\`${renameCode(piece.slice(1, -1), names)}\``;
      return proseLiterals(piece, i === 0, i === pieces.length - 1).replace(
        /(?:#|\b)[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b/g,
        (word) => renameWord(word, names),
      );
    })
    .join('');
}
