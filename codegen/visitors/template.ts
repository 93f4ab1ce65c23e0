// Template literals -> f-strings. Only string-typed parts are interpolated: JS and Python turn numbers, booleans,
// null and objects into different text (`intToString(n)` of a provable safe integer and `e.message` are written as
// `{n}` and `{e}`, translation/interpolation.ts).
import { ts } from 'ts-morph';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { describeType, isStringType } from '../type-queries';
import { hasLoneSurrogate } from './literals';
import { expression, type VisitorEntries } from '../visitor-entries';
import { interpolated } from '../translation/interpolation';

export const templateVisitors: VisitorEntries = {
  expressions: [
    [
      ts.SyntaxKind.TemplateExpression,
      expression<ts.TemplateExpression>((node, ctx) => {
        const parts: py.FStringPart[] = [];
        const texts = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
        if (texts.some(hasLoneSurrogate)) return ctx.report(diagnostics.loneSurrogate(node));
        if (node.head.text !== '') parts.push({ text: node.head.text });
        for (const span of node.templateSpans) {
          const type = ctx.typeOf(span.expression);
          if (!isStringType(type)) {
            ctx.report(diagnostics.templateNonString(span.expression, describeType(ctx.checker, type)));
          }
          parts.push({ expr: interpolated(ctx, span.expression).value });
          if (span.literal.text !== '') parts.push({ text: span.literal.text });
        }
        return { kind: 'FString', parts };
      }),
    ],
    [
      ts.SyntaxKind.TaggedTemplateExpression,
      expression((node, ctx) =>
        ctx.report(diagnostics.unsupportedSyntax(node, 'a tagged template', 'Call the function with the parts')),
      ),
    ],
  ],
};
