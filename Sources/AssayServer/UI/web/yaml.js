// YAML for the declaration subset, both ways.
//
// parseYaml reads block mappings and sequences, flow collections ([a, b],
// {k: v}, over several lines too, so JSON works), plain, 'single' and
// "double" quoted scalars, | and > block scalars and comments. Scalars resolve
// like the server's YAML 1.2 core schema: true/false, ints (also 0x, 0o),
// floats, null/~; yes/no/on/off stay strings. Not supported (an error says so):
// anchors and aliases, tags, multi-document files, complex keys.
//
// emitYaml writes a readable declaration: short collections in flow style,
// strings quoted only when they would read as something else.

export class YamlError extends Error {
  constructor(message, line) {
    super(line ? `line ${line}: ${message}` : message);
    this.line = line;
  }
}

// ---- scalars ------------------------------------------------------------

const FLOAT = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

export function resolvePlain(text) {
  if (/^(?:~|null|Null|NULL|)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?[0-9]+$/.test(text)) return Number.parseInt(text, 10);
  if (/^0o[0-7]+$/.test(text)) return Number.parseInt(text.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  if (FLOAT.test(text)) {
    if (/inf/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    if (/nan/i.test(text)) return NaN;
    return Number.parseFloat(text);
  }
  return text;
}

function isPlainSafe(text, flow) {
  if (text === '' || text !== text.trim()) return false;
  if (resolvePlain(text) !== text) return false;  // would read as a number, bool or null
  if (/^(?:y|n|yes|no|on|off)$/i.test(text)) return false;  // booleans to YAML 1.1 readers
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(text)) return false;
  if (/[\n\r\t]/.test(text) || text.includes(': ') || text.includes(' #') || text.endsWith(':')) return false;
  if (flow && /[,[\]{}]/.test(text)) return false;
  return true;
}

function scalarText(value, flow) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return String(value);
  }
  const text = String(value);
  return isPlainSafe(text, flow) ? text : JSON.stringify(text);
}

// ---- emitter ------------------------------------------------------------

const WIDTH = 88;

function isScalar(v) { return v === null || typeof v !== 'object'; }

function depth(v) {
  if (isScalar(v)) return 0;
  const values = Array.isArray(v) ? v : Object.values(v);
  return 1 + values.reduce((m, x) => Math.max(m, depth(x)), 0);
}

function flow(v) {
  if (isScalar(v)) return scalarText(v, true);
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${scalarText(k, true)}: ${flow(x)}`).join(', ')}}`;
}

function emitValue(key, v, indent, lines, prefix = null) {
  const pad = ' '.repeat(indent);
  const head = prefix ?? `${pad}${scalarText(key, false)}:`;
  if (isScalar(v)) { lines.push(`${head} ${scalarText(v, false)}`); return; }
  if (Array.isArray(v) && v.length === 0) { lines.push(`${head} []`); return; }
  if (!Array.isArray(v) && Object.keys(v).length === 0) { lines.push(`${head} {}`); return; }
  const f = flow(v);
  if (depth(v) <= 2 && head.length + 1 + f.length <= WIDTH) { lines.push(`${head} ${f}`); return; }
  lines.push(head);
  if (Array.isArray(v)) emitSeq(v, indent + 2, lines);
  else emitMap(v, indent + 2, lines);
}

function emitMap(obj, indent, lines) {
  for (const [k, v] of Object.entries(obj)) emitValue(k, v, indent, lines);
}

function emitSeq(arr, indent, lines) {
  const pad = ' '.repeat(indent);
  for (const item of arr) {
    if (isScalar(item) || depth(item) <= 2 && pad.length + 2 + flow(item).length <= WIDTH) {
      lines.push(`${pad}- ${isScalar(item) ? scalarText(item, false) : flow(item)}`);
    } else if (Array.isArray(item)) {
      lines.push(`${pad}-`);
      emitSeq(item, indent + 2, lines);
    } else {
      const inner = [];
      emitMap(item, indent + 2, inner);
      if (inner.length) inner[0] = `${pad}- ${inner[0].slice(indent + 2)}`;
      lines.push(...inner);
    }
  }
}

export function emitYaml(value) {
  const lines = [];
  if (isScalar(value)) return `${scalarText(value, false)}\n`;
  if (Array.isArray(value)) emitSeq(value, 0, lines);
  else emitMap(value, 0, lines);
  return `${lines.join('\n')}\n`;
}

// ---- parser -------------------------------------------------------------

/** Strips a comment (a # at the start or after a space, outside quotes). */
function stripComment(text) {
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[{,:]/.test(text[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      return text.slice(0, i);
    }
  }
  return text;
}

/** Where a `key:` ends in `text` (the index of the colon), or -1. */
function keyColon(text) {
  let i = 0;
  if (text[0] === '"' || text[0] === "'") {
    const q = text[0];
    i = 1;
    while (i < text.length) {
      if (text[i] === '\\' && q === '"') { i += 2; continue; }
      if (text[i] === q) {
        if (q === "'" && text[i + 1] === "'") { i += 2; continue; }
        break;
      }
      i++;
    }
    i++;
    return text[i] === ':' && (i + 1 === text.length || /\s/.test(text[i + 1])) ? i : -1;
  }
  if (/^[[{]/.test(text)) return -1;
  for (; i < text.length; i++) {
    if (text[i] === ':' && (i + 1 === text.length || /\s/.test(text[i + 1]))) return i;
  }
  return -1;
}

function unquote(text, line) {
  if (text[0] === "'") {
    if (!text.endsWith("'") || text.length < 2) throw new YamlError('a single-quoted string is not closed', line);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (!text.endsWith('"') || text.length < 2) throw new YamlError('a double-quoted string is not closed', line);
  try {
    return JSON.parse(text.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\\//g, '/'));
  } catch {
    throw new YamlError(`cannot read the quoted string ${text}`, line);
  }
}

function scalar(text, line) {
  const t = text.trim();
  if (t.startsWith('"') || t.startsWith("'")) return unquote(t, line);
  if (/^[&*!]/.test(t)) throw new YamlError(`anchors, aliases and tags are not supported here (${t.split(/\s/)[0]}); write the value out`, line);
  if (t.startsWith('%') || t.startsWith('@') || t.startsWith('`')) throw new YamlError(`a plain value cannot start with ${t[0]}; quote it`, line);
  return resolvePlain(t);
}

/** Parses a flow collection or scalar starting at `s[pos]`. */
function parseFlow(s, line) {
  let pos = 0;
  const ws = () => { while (pos < s.length && /\s/.test(s[pos])) pos++; };
  const fail = (msg) => { throw new YamlError(msg, line); };
  function quoted() {
    const q = s[pos];
    let end = pos + 1;
    while (end < s.length) {
      if (s[end] === '\\' && q === '"') { end += 2; continue; }
      if (s[end] === q) {
        if (q === "'" && s[end + 1] === "'") { end += 2; continue; }
        break;
      }
      end++;
    }
    if (end >= s.length) fail('a quoted string is not closed');
    const text = s.slice(pos, end + 1);
    pos = end + 1;
    return unquote(text, line);
  }
  function plain(isKey) {
    const start = pos;
    while (pos < s.length) {
      const c = s[pos];
      if (c === ',' || c === ']' || c === '}') break;
      if (c === ':' && (pos + 1 >= s.length || /[\s,\]}]/.test(s[pos + 1]))) break;
      if (c === '[' || c === '{') fail(`unexpected "${c}" inside a value; quote the value`);
      pos++;
    }
    const text = s.slice(start, pos).trim();
    return isKey ? text : scalar(text, line);
  }
  function value() {
    ws();
    if (pos >= s.length) fail('a value is missing');
    const c = s[pos];
    if (c === '[') {
      pos++;
      const out = [];
      ws();
      if (s[pos] === ']') { pos++; return out; }
      for (;;) {
        out.push(value());
        ws();
        if (s[pos] === ',') { pos++; ws(); if (s[pos] === ']') { pos++; return out; } continue; }
        if (s[pos] === ']') { pos++; return out; }
        fail(`expected "," or "]" in a list, found ${s[pos] ? `"${s[pos]}"` : 'the end'}`);
      }
    }
    if (c === '{') {
      pos++;
      const out = {};
      ws();
      if (s[pos] === '}') { pos++; return out; }
      for (;;) {
        ws();
        const key = s[pos] === '"' || s[pos] === "'" ? quoted() : plain(true);
        ws();
        if (key === '') fail('a key is missing in {…}');
        if (Object.prototype.hasOwnProperty.call(out, key)) fail(`duplicate key "${key}"`);
        if (s[pos] === ':') { pos++; out[key] = value(); } else out[key] = null;
        ws();
        if (s[pos] === ',') { pos++; ws(); if (s[pos] === '}') { pos++; return out; } continue; }
        if (s[pos] === '}') { pos++; return out; }
        fail(`expected "," or "}" in a mapping, found ${s[pos] ? `"${s[pos]}"` : 'the end'}`);
      }
    }
    if (c === '"' || c === "'") return quoted();
    return plain(false);
  }
  const result = value();
  ws();
  if (pos < s.length) fail(`unexpected text after the value: "${s.slice(pos, pos + 20)}"`);
  return result;
}

function balance(text) {
  let n = 0, quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]))) quote = c;
    else if (c === '[' || c === '{') n++;
    else if (c === ']' || c === '}') n--;
  }
  return n;
}

export function parseYaml(source) {
  const raw = source.replace(/\r\n?/g, '\n').split('\n');
  if (raw.some((l) => /^\t/.test(l))) {
    throw new YamlError('tabs cannot indent YAML; use spaces', raw.findIndex((l) => /^\t/.test(l)) + 1);
  }
  const lines = raw.map((text, index) => {
    const stripped = stripComment(text).replace(/\s+$/, '');
    return { raw: text, text: stripped.trim(), indent: stripped.length - stripped.trimStart().length, line: index + 1 };
  });
  let i = 0;
  const n = lines.length;
  const skip = () => { while (i < n && (lines[i].text === '' || lines[i].text === '---' || lines[i].text.startsWith('%'))) i++; };

  function inline(text, at) {
    // A flow collection may continue on the following lines.
    if (/^[[{]/.test(text)) {
      let whole = text;
      while (balance(whole) > 0) {
        i++;
        if (i >= n) throw new YamlError('a [ or { is not closed', at.line);
        whole += ` ${lines[i].text}`;
      }
      i++;
      return parseFlow(whole, at.line);
    }
    if (text.startsWith('|') || text.startsWith('>')) return blockScalar(text, at);
    i++;
    if (text === '...') throw new YamlError('only one document is supported', at.line);
    return scalar(text, at.line);
  }

  function blockScalar(header, at) {
    const folded = header[0] === '>';
    const chomp = header.includes('-') ? 'strip' : header.includes('+') ? 'keep' : 'clip';
    i++;
    const body = [];
    let indent = null;
    while (i < n) {
      const rawLine = lines[i].raw;
      if (rawLine.trim() === '') { body.push(''); i++; continue; }
      const lead = rawLine.length - rawLine.trimStart().length;
      if (indent === null) indent = lead;
      if (lead < indent || lead <= at.indent) break;
      body.push(rawLine.slice(indent));
      i++;
    }
    while (chomp !== 'keep' && body.length && body[body.length - 1] === '') body.pop();
    let text = folded ? body.join('\n').replace(/([^\n])\n(?=[^\n ])/g, '$1 ') : body.join('\n');
    if (chomp !== 'strip' && text !== '') text += '\n';
    return text;
  }

  function block(indent) {
    skip();
    if (i >= n) return null;
    const at = lines[i];
    if (at.indent < indent) return null;
    if (at.text === '-' || at.text.startsWith('- ')) return seq(at.indent);
    if (keyColon(at.text) >= 0) return map(at.indent);
    const value = inline(at.text, at);
    skip();
    if (i < n && lines[i].indent >= indent && indent > 0 && lines[i].indent > 0) {
      throw new YamlError('unexpected text after a value (multi-line plain values are not supported; quote it or use |)', lines[i].line);
    }
    return value;
  }

  function map(indent) {
    const out = {};
    for (;;) {
      skip();
      if (i >= n) return out;
      const at = lines[i];
      if (at.indent < indent) return out;
      if (at.indent > indent) throw new YamlError('unexpected indentation', at.line);
      if (at.text === '-' || at.text.startsWith('- ')) throw new YamlError('a list item where a "key: value" was expected', at.line);
      const colon = keyColon(at.text);
      if (colon < 0) throw new YamlError(`expected "key: value", found "${at.text.slice(0, 40)}"`, at.line);
      const keyText = at.text.slice(0, colon).trim();
      const key = keyText.startsWith('"') || keyText.startsWith("'") ? unquote(keyText, at.line) : keyText;
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlError(`duplicate key "${key}"`, at.line);
      const rest = at.text.slice(colon + 1).trim();
      if (rest === '') {
        i++;
        skip();
        if (i < n && lines[i].indent > indent) out[key] = block(lines[i].indent);
        else if (i < n && lines[i].indent === indent && (lines[i].text === '-' || lines[i].text.startsWith('- '))) out[key] = seq(indent);
        else out[key] = null;
      } else {
        out[key] = inline(rest, at);
      }
    }
  }

  function seq(indent) {
    const out = [];
    for (;;) {
      skip();
      if (i >= n) return out;
      const at = lines[i];
      if (at.indent < indent) return out;
      if (at.indent > indent) throw new YamlError('unexpected indentation', at.line);
      if (!(at.text === '-' || at.text.startsWith('- '))) return out;
      const rest = at.text.slice(1).trimStart();
      if (rest === '') {
        i++;
        skip();
        out.push(i < n && lines[i].indent > indent ? block(lines[i].indent) : null);
        continue;
      }
      const column = at.indent + (at.text.length - rest.length);
      if (rest === '-' || rest.startsWith('- ') || keyColon(rest) >= 0) {
        // "- key: value" (or "- - x"): the rest of the line opens a nested block at its column.
        lines[i] = { ...at, text: rest, indent: column };
        out.push(block(column));
      } else {
        out.push(inline(rest, at));
      }
    }
  }

  skip();
  if (i >= n) return null;
  const result = block(lines[i].indent);
  skip();
  if (i < n) throw new YamlError(`unexpected text "${lines[i].text.slice(0, 40)}"`, lines[i].line);
  return result;
}
