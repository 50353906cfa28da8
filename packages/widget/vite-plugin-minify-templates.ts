/**
 * Shrinks the static text of Lit `css` and `html` tagged templates at build time, so the
 * script-tag bundle stays inside its 12 KB gzip budget. Only whitespace and CSS comments go:
 * a whitespace run containing a newline becomes one space (HTML renders both the same), and
 * CSS loses spaces around punctuation. Expressions (`${…}`) are never touched.
 */
import { parseSync, Visitor, type Plugin } from 'vite';

function minifyCss(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,>])\s*/g, '$1')
    .replace(/:\s+/g, ':')
    .replace(/;}/g, '}')
    // "0.5rem" → ".5rem"; "[a='b']" → "[a=b]" where b is a plain word.
    .replace(/([^\w.-])0\.(\d)/g, '$1.$2')
    .replace(/=(['"])([\w-]+)\1\]/g, '=$2]')
    .trim();
}

function minifyHtml(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

export function minifyTemplates(): Plugin {
  return {
    name: 'kassa:minify-lit-templates',
    apply: 'build',
    enforce: 'post',
    transform(code, id) {
      if (!/\/widget\/src\/.*\.ts$/.test(id) || !/\b(css|html)`/.test(code)) return null;
      const edits: { start: number; end: number; text: string }[] = [];
      const { program } = parseSync(id, code);
      new Visitor({
        TaggedTemplateExpression(node) {
          const tag = node.tag.type === 'Identifier' ? node.tag.name : '';
          const minify = tag === 'css' ? minifyCss : tag === 'html' ? minifyHtml : null;
          if (!minify) return;
          for (const quasi of node.quasi.quasis) {
            // oxc's spans include the delimiters (a backtick or `}` before, a backtick or `${` after).
            const span = code.slice(quasi.start, quasi.end);
            const start = quasi.start + 1;
            const end = quasi.end - (span.endsWith('${') ? 2 : 1);
            const raw = code.slice(start, end);
            // Anything unexpected: leave this template as written.
            if (raw !== quasi.value.raw) return;
            edits.push({ start, end, text: minify(raw) });
          }
        },
      }).visit(program);
      if (edits.length === 0) return null;
      let out = code;
      for (const edit of edits.sort((a, b) => b.start - a.start)) {
        out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
      }
      return { code: out, map: null };
    },
  };
}
