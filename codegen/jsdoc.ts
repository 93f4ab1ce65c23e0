// JSDoc comments -> docstrings: the description, then `@param`/`@returns`/`@throws` as reST fields (parameter names
// snake_cased like the parameters themselves).
import { ts } from 'ts-morph';
import { snakeCase } from './names';

function commentText(comment: string | ts.NodeArray<ts.JSDocComment> | undefined): string {
  if (comment === undefined) return '';
  if (typeof comment === 'string') return comment;
  // `{@link name}` is a reference to code: written as `name`, so that comments.ts renames it like other code.
  return comment
    .map((part) =>
      ts.isJSDocLink(part) || ts.isJSDocLinkCode(part) || ts.isJSDocLinkPlain(part)
        ? `\`${part.name?.getText() ?? part.text}\``
        : part.text,
    )
    .join('');
}

/** The JSDoc comments attached to `node`, in source order. */
export function jsDocsOf(node: ts.Node): ts.JSDoc[] {
  return ts.getJSDocCommentsAndTags(node).filter((d): d is ts.JSDoc => ts.isJSDoc(d));
}

/** The text of one JSDoc comment: its description, then its tags as reST fields; null when it says nothing. */
export function jsDocText(doc: ts.JSDoc): string | null {
  const lines: string[] = [];
  const description = commentText(doc.comment).trim();
  if (description !== '') lines.push(description);
  const fields: string[] = [];
  for (const tag of doc.tags ?? []) {
    const text = commentText(tag.comment).trim().replace(/^- /, '');
    if (ts.isJSDocParameterTag(tag)) fields.push(`:param ${snakeCase(tag.name.getText())}: ${text}`.trimEnd());
    else if (ts.isJSDocReturnTag(tag)) fields.push(`:returns: ${text}`.trimEnd());
    else if (ts.isJSDocThrowsTag(tag)) {
      const type = tag.typeExpression?.type.getText();
      fields.push(`:raises${type === undefined ? '' : ' ' + type}: ${text}`.trimEnd());
    } else fields.push(`@${tag.tagName.text}${text === '' ? '' : ' ' + text}`);
  }
  if (fields.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(...fields);
  }
  if (lines.length === 0) return null;
  return lines.join('\n');
}

/** The docstring for a declaration's JSDoc (the last one, the one TypeScript shows), or null when it has none. */
export function docstringOf(node: ts.Node): string | null {
  const doc = jsDocsOf(node).slice(-1)[0];
  return doc === undefined ? null : jsDocText(doc);
}
