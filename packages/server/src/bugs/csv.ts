/**
 * RFC 4180 CSV: comma-separated fields, optional double quotes, `""` for a quote inside quotes,
 * line breaks inside quotes, CRLF or LF, a UTF-8 BOM tolerated. Returns rows of fields with the
 * 1-based line each row starts on. Throws on an unterminated quote.
 */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let field = '';
  let fields: string[] = [];
  let rowLine = 1;
  let quoted = false;
  let any = false;
  const endRow = () => {
    fields.push(field);
    // Blank lines carry no data.
    if (!(fields.length === 1 && fields[0] === '' && !any)) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    any = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      any = true;
      i++;
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      any = true;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      rowLine = line;
      continue;
    }
    field += c;
    any = true;
    i++;
  }
  if (quoted) throw new Error(`a quoted field opened on line ${rowLine} is never closed`);
  if (field !== '' || fields.length > 0 || any) endRow();
  return rows;
}
