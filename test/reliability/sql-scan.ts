// Static check for the reliability suite: finds SQL text built from non-constant parts.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

/** Upper-case SQL keywords that make a string literal or template "SQL text". */
const SQL_TEXT = /\b(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WHERE|ORDER\s+BY|VALUES|CREATE\s+(TABLE|DATABASE|INDEX)|ALTER\s+TABLE|DROP\s+(TABLE|DATABASE)|FORCE\s+INDEX|LIMIT|FROM)\b/

/** A literal chunk ending in `column <op>`, spaced as SQL is: the value would follow it. */
const SQL_COMPARISON = /(^|[\s(.])[A-Za-z_][A-Za-z0-9_]*\s+(=|<>|!=|<=|>=|<|>|IN\s*\(|LIKE|BETWEEN)\s*'?$/

export interface Interpolation {
  /** Path relative to the repository root. */
  file: string
  line: number
  /** The interpolated (or concatenated) expression, as written. */
  expression: string
  /** The SQL text around it (first 80 characters). */
  sql: string
}

function sourceFiles (dir: string): string[] {
  let out: string[] = []
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) out = out.concat(sourceFiles(full))
    else if (/\.ts$/.test(name) && !/\.d\.ts$/.test(name)) out.push(full)
  }
  return out
}

function literalText (node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => s.literal.text).join(' ')
  return undefined
}

/** Literals, templates, and `+` chains of them: text whose own interpolations are checked separately. */
function isText (node: ts.Node): boolean {
  if (ts.isParenthesizedExpression(node)) return isText(node.expression)
  if (literalText(node) !== undefined) return true
  return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && isText(node.left) && isText(node.right)
}

/** Every `${expr}` in SQL templates and every non-literal operand of `+` next to SQL text. */
export function sqlInterpolations (root: string, dirs: string[]): Interpolation[] {
  const found: Interpolation[] = []
  for (const dir of dirs) {
    for (const file of sourceFiles(path.join(root, dir))) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
      const record = (expr: ts.Node, sql: string) => {
        found.push({
          file: path.relative(root, file),
          line: source.getLineAndCharacterOfPosition(expr.getStart()).line + 1,
          expression: expr.getText(source),
          sql: sql.replace(/\s+/g, ' ').slice(0, 80)
        })
      }
      const visit = (node: ts.Node): void => {
        if (ts.isTemplateExpression(node)) {
          const text = literalText(node) ?? ''
          const sqlText = SQL_TEXT.test(text)
          let before = node.head.text
          for (const span of node.templateSpans) {
            // SQL text, or a comparison written SQL-style right before the value (`price >= ${x}`).
            // A nested template is not a value: its own spans are visited on their own.
            if (!isText(span.expression) && (sqlText || SQL_COMPARISON.test(before))) record(span.expression, text)
            before = span.literal.text
          }
        } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
          const left = literalText(node.left)
          const right = literalText(node.right)
          if (left !== undefined && SQL_TEXT.test(left) && !isText(node.right)) record(node.right, left)
          if (right !== undefined && SQL_TEXT.test(right) && !isText(node.left)) record(node.left, right)
        }
        ts.forEachChild(node, visit)
      }
      visit(source)
    }
  }
  return found
}
