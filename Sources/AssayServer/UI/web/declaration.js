// The declaration as the browser edits it: the trial count of its sweep and
// the basic checks done before the server sees it. Field paths and wording
// follow the server's (parameters.lr.max: must be greater than min), so the
// server's 422 answers land on the same fields. The server stays the judge:
// it checks everything again, and more (durations, quantities, e-mail
// addresses, config formats).

export const KINDS = ['int', 'float', 'choice', 'bool', 'const', 'group'];
export const STRATEGIES = ['grid', 'one-at-a-time', 'random', 'asha', 'tpe'];
/** Strategies that propose trials from results (docs/search.md): they sample ranges and need an objective. */
const ADAPTIVE = new Set(['asha', 'tpe']);
const RESERVED = new Set(['config', 'trial', 'repeat', 'attempt']);
const TOP_LEVEL = ['name', 'description', 'tags', 'artifact', 'setup', 'command', 'env', 'config', 'parameters',
  'sweep', 'trial', 'result', 'objective', 'workers', 'resources', 'notify', 'deadline', 'early_stopping'];

export function starterDeclaration() {
  return {
    name: 'my-sweep',
    command: ['python3', 'train.py', '{lr}', '{layers}'],
    parameters: {
      lr: { type: 'float', min: 0.0001, max: 0.1, scale: 'log', count: 4 },
      layers: { type: 'int', values: [1, 2, 3] },
    },
    sweep: { strategy: 'grid' },
    objective: { metric: 'loss', goal: 'minimize' },
    workers: 2,
  };
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);
const trim12 = (x) => (x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(12)));
const nearly = (a, b) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

function spaced(min, max, count, scale, index) {
  if (count === 1) return min;
  if (index === count - 1) return max;
  const f = index / (count - 1);
  return scale === 'log' ? trim12(Math.exp(Math.log(min) + f * (Math.log(max) - Math.log(min)))) : trim12(min + f * (max - min));
}

/** The number of points a parameter ranges over; null for a continuous range; undefined if invalid. */
export function domainSize(p) {
  if (!isObject(p)) return undefined;
  switch (p.type) {
    case 'bool': return 2;
    case 'const': return 1;
    case 'choice': case 'group': return Array.isArray(p.values) && p.values.length ? p.values.length : undefined;
    case 'int': case 'float': {
      if (p.values !== undefined) return Array.isArray(p.values) && p.values.length ? p.values.length : undefined;
      if (!isNumber(p.min) || !isNumber(p.max) || p.max <= p.min) return undefined;
      if (p.step !== undefined) {
        if (!isNumber(p.step) || p.step <= 0) return undefined;
        if (p.type === 'int') return Math.floor((Math.trunc(p.max) - Math.trunc(p.min)) / Math.trunc(p.step)) + 1;
        return Math.floor(((p.max - p.min) / p.step) * (1 + 1e-9)) + 1;
      }
      if (p.count !== undefined) {
        if (!Number.isInteger(p.count) || p.count < 1) return undefined;
        if (p.type === 'int' && p.scale === 'log') return intLogPoints(p).length;
        return p.count;
      }
      return null;
    }
    default: return undefined;
  }
}

function intLogPoints(p) {
  const out = [];
  for (let i = 0; i < Math.min(p.count, 100000); i++) {
    const v = Math.round(spaced(p.min, p.max, p.count, 'log', i));
    if (out[out.length - 1] !== v) out.push(v);
  }
  return out;
}

/** Whether the parameter's default is one of its points (one-at-a-time then skips it once). */
function defaultIsPoint(p) {
  if (p.type === 'const') return true;
  if (p.type === 'bool') return typeof p.default === 'boolean';
  if (p.default === undefined) return false;
  if (Array.isArray(p.values)) return p.values.some((v) => (isObject(v) ? JSON.stringify(v) === JSON.stringify(p.default) : (isNumber(v) && isNumber(p.default) ? nearly(v, p.default) : v === p.default)));
  if (!isNumber(p.default) || !isNumber(p.min)) return false;
  if (p.step !== undefined) {
    const k = (p.default - p.min) / p.step;
    return Math.abs(k - Math.round(k)) < 1e-9 && p.default <= p.max + 1e-12;
  }
  if (p.count !== undefined && p.count <= 100000) {
    for (let i = 0; i < p.count; i++) {
      let v = spaced(p.min, p.max, p.count, p.scale || 'linear', i);
      if (p.type === 'int') v = Math.round(v);
      if (nearly(v, p.default)) return true;
    }
  }
  return false;
}

/**
 * The sweep's size: {count, text} ("48 trials: 4 × 3 × 2 × 2"), or {count: null, text} saying why not.
 */
export function trialCount(decl) {
  if (!isObject(decl)) return { count: null, text: 'The declaration must be a mapping.' };
  const params = isObject(decl.parameters) ? Object.entries(decl.parameters) : [];
  const sweep = isObject(decl.sweep) ? decl.sweep : {};
  const strategy = sweep.strategy || 'grid';
  const repeats = Number.isInteger(sweep.repeats) && sweep.repeats >= 1 ? sweep.repeats : 1;
  const suffix = repeats > 1 ? ` × ${repeats} repeats` : '';
  const sizes = params.map(([name, p]) => [name, domainSize(p), p]);
  const word = (n) => `${n.toLocaleString()} ${n === 1 ? 'trial' : 'trials'}`;
  if (strategy === 'random') {
    if (!Number.isInteger(sweep.samples) || sweep.samples < 1) return { count: null, text: 'A random sweep needs sweep.samples.' };
    const count = sweep.samples * repeats;
    return { count, text: `${word(count)}: ${sweep.samples.toLocaleString()} random samples${suffix}` };
  }
  if (ADAPTIVE.has(strategy)) {
    if (!Number.isInteger(sweep.max_trials) || sweep.max_trials < 1) return { count: null, text: `An ${strategy} search needs sweep.max_trials.` };
    return { count: sweep.max_trials, text: `up to ${word(sweep.max_trials)}, proposed by ${strategy} from the results so far` };
  }
  const bad = sizes.find(([, size]) => size === undefined);
  if (bad) return { count: null, text: `Cannot count the trials until parameter ${bad[0]} is complete.` };
  const open = sizes.find(([, size]) => size === null);
  if (open) return { count: null, text: `Parameter ${open[0]} is a continuous range: give it step, count or values (or use strategy random).` };
  if (strategy === 'one-at-a-time') {
    let points = 1;
    const terms = [];
    for (const [name, size, p] of sizes) {
      if (p.type !== 'const' && p.default === undefined) return { count: null, text: `One-at-a-time needs a default for ${name}.` };
      const extra = size - (defaultIsPoint(p) ? 1 : 0);
      points += extra;
      if (extra > 0) terms.push(String(extra));
    }
    const count = points * repeats;
    return { count, text: `${word(count)}: the defaults${terms.length ? ` + ${terms.join(' + ')}` : ''}${suffix}` };
  }
  const factors = sizes.map(([, size]) => size).filter((size) => size > 1);
  const count = factors.reduce((a, b) => a * b, 1) * repeats;
  if (!Number.isSafeInteger(count)) return { count: null, text: 'More trials than can be counted.' };
  return { count, text: factors.length || repeats > 1 ? `${word(count)}: ${factors.length ? factors.map((f) => f.toLocaleString()).join(' × ') : '1'}${suffix}` : word(count) };
}

// ---- validation ---------------------------------------------------------

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

function placeholders(arg) {
  const out = [];
  let error = null;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i];
    if (c === '{') {
      if (arg[i + 1] === '{') { i++; continue; }
      const end = arg.indexOf('}', i);
      if (end < 0) { error = 'has a "{" without its "}" (write {{ for a literal brace)'; break; }
      out.push(arg.slice(i + 1, end));
      i = end;
    } else if (c === '}') {
      if (arg[i + 1] === '}') { i++; continue; }
      error = 'has a "}" without its "{" (write }} for a literal brace)';
      break;
    }
  }
  return { names: out, error };
}

/** Basic checks, [{path, message}], every problem at once. */
export function validate(decl) {
  const errors = [];
  const fail = (path, message) => errors.push({ path, message });
  if (!isObject(decl)) { fail('', 'the declaration must be a mapping of fields'); return errors; }
  for (const key of Object.keys(decl)) {
    if (!TOP_LEVEL.includes(key)) fail(key, `unknown top-level key "${key}"`);
  }
  if (typeof decl.name !== 'string' || !decl.name.trim()) fail('name', decl.name === undefined ? 'is required' : 'must not be empty');
  else if (decl.name.length > 200) fail('name', `must be at most 200 characters (got ${decl.name.length})`);
  if (decl.tags !== undefined) {
    if (!Array.isArray(decl.tags)) fail('tags', 'must be a list');
    else decl.tags.forEach((tag, i) => { if (typeof tag !== 'string' || !tag || tag.length > 64) fail(`tags[${i}]`, 'must be 1 to 64 characters on one line'); });
  }
  const params = isObject(decl.parameters) ? decl.parameters : {};
  if (decl.parameters !== undefined && !isObject(decl.parameters)) fail('parameters', 'must be a mapping of parameter names to {type: …}');
  const sweep = isObject(decl.sweep) ? decl.sweep : {};
  const strategy = sweep.strategy ?? 'grid';
  if (decl.sweep !== undefined && !isObject(decl.sweep)) fail('sweep', 'must be a mapping such as {strategy: grid}');
  if (!STRATEGIES.includes(strategy)) fail('sweep.strategy', `must be one of ${STRATEGIES.join(', ')}`);
  if (strategy === 'random' && (!Number.isInteger(sweep.samples) || sweep.samples < 1)) fail('sweep.samples', sweep.samples === undefined ? 'is required' : 'must be at least 1');
  if (ADAPTIVE.has(strategy) && (!Number.isInteger(sweep.max_trials) || sweep.max_trials < 1)) fail('sweep.max_trials', sweep.max_trials === undefined ? 'is required' : 'must be at least 1');
  if (ADAPTIVE.has(strategy) && decl.objective === undefined) fail('objective', `is required by sweep strategy ${strategy} (the metric it optimizes)`);
  if (sweep.repeats !== undefined && (!Number.isInteger(sweep.repeats) || sweep.repeats < 1 || sweep.repeats > 10000)) fail('sweep.repeats', 'must be between 1 and 10000');

  const known = new Set(RESERVED);
  for (const [name, p] of Object.entries(params)) {
    const at = `parameters.${name}`;
    if (!NAME.test(name)) { fail(at, 'is not a valid parameter name (letters, digits, _, - and ., starting with a letter or _)'); continue; }
    if (RESERVED.has(name)) { fail(at, `"${name}" is reserved for the command template; choose another name`); continue; }
    known.add(name);
    if (!isObject(p)) { fail(at, 'must be a mapping such as {type: float, min: 0, max: 1, count: 5}'); continue; }
    if (p.type === undefined) { fail(`${at}.type`, `is required (one of ${KINDS.join(', ')})`); continue; }
    if (!KINDS.includes(p.type)) { fail(`${at}.type`, `must be one of ${KINDS.join(', ')}`); continue; }
    if (p.type === 'group' && Array.isArray(p.values)) p.values.forEach((entry) => { if (isObject(entry)) Object.keys(entry).forEach((k) => known.add(k)); });
    checkParameter(p, at, strategy, fail);
  }

  if (!Array.isArray(decl.command) || decl.command.length === 0) {
    fail('command', decl.command === undefined ? 'is required' : 'must be a non-empty list of arguments');
  } else {
    decl.command.forEach((arg, i) => {
      if (typeof arg !== 'string' && typeof arg !== 'number') { fail(`command[${i}]`, 'must be a string'); return; }
      const { names, error } = placeholders(String(arg));
      if (error) fail(`command[${i}]`, error);
      for (const name of names) {
        if (name === 'config' && !decl.config) fail(`command[${i}]`, '{config} needs a config section');
        else if (!known.has(name)) fail(`command[${i}]`, `unknown placeholder {${name}}`);
      }
    });
  }
  if (decl.objective !== undefined) {
    const o = decl.objective;
    if (!isObject(o)) fail('objective', 'must be a mapping such as {metric: loss, goal: minimize}');
    else {
      if (typeof o.metric !== 'string' || !o.metric.trim()) fail('objective.metric', 'is required');
      if (o.goal === undefined) fail('objective.goal', 'is required');
      else if (!['maximize', 'minimize'].includes(o.goal)) fail('objective.goal', 'must be one of maximize, minimize');
    }
  }
  if (decl.workers !== undefined && (!Number.isInteger(decl.workers) || decl.workers < 1 || decl.workers > 10000)) {
    fail('workers', `must be between 1 and 10000${Number.isInteger(decl.workers) ? ` (got ${decl.workers})` : ''}`);
  }
  if (isObject(decl.trial) && decl.trial.retries !== undefined && (!Number.isInteger(decl.trial.retries) || decl.trial.retries < 0 || decl.trial.retries > 100)) {
    fail('trial.retries', 'must be between 0 and 100');
  }
  return errors;
}

function checkParameter(p, at, strategy, fail) {
  const count = domainSize(p);
  switch (p.type) {
    case 'int': case 'float': {
      const isInt = p.type === 'int';
      const num = (key) => {
        const v = p[key];
        if (v === undefined) return undefined;
        if (!isNumber(v)) { fail(`${at}.${key}`, `must be a number${isInt ? ' (an integer)' : ''}`); return null; }
        if (isInt && !Number.isInteger(v)) { fail(`${at}.${key}`, `must be an integer (got ${v})`); return null; }
        return v;
      };
      if (p.values !== undefined) {
        for (const key of ['min', 'max', 'step', 'count', 'scale']) if (p[key] !== undefined) fail(`${at}.${key}`, 'cannot be combined with values: give either values or a range');
        checkList(p.values, `${at}.values`, fail, (v, path) => {
          if (!isNumber(v) || (isInt && !Number.isInteger(v))) fail(path, `must be ${isInt ? 'an integer' : 'a number'}`);
        });
        num('default');
        break;
      }
      const min = num('min'), max = num('max'), step = num('step'), dflt = num('default');
      if (p.min === undefined) fail(`${at}.min`, 'is required');
      if (p.max === undefined) fail(`${at}.max`, 'is required');
      if (p.scale !== undefined && !['linear', 'log'].includes(p.scale)) fail(`${at}.scale`, 'must be one of linear, log');
      if (isNumber(min) && isNumber(max) && max <= min) fail(`${at}.max`, `must be greater than min (${max} ≤ ${min})`);
      if (p.scale === 'log' && isNumber(min) && min <= 0) fail(`${at}.min`, `must be greater than 0 for scale log (got ${min})`);
      if (p.step !== undefined && p.count !== undefined) fail(`${at}.count`, 'cannot be combined with step: give one of them');
      if (isNumber(step) && step <= 0) fail(`${at}.step`, `must be greater than 0 (got ${step})`);
      if (p.step !== undefined && p.scale === 'log') fail(`${at}.step`, 'cannot be used with scale log: use count for log-spaced points');
      if (p.count !== undefined && (!Number.isInteger(p.count) || p.count < 1)) fail(`${at}.count`, `must be at least 1 (got ${p.count})`);
      if (isInt && Number.isInteger(p.count) && isNumber(min) && isNumber(max) && p.scale !== 'log' && p.count > max - min + 1) {
        fail(`${at}.count`, `asks for ${p.count} integers but ${min}…${max} holds only ${max - min + 1}`);
      }
      if (isNumber(dflt) && isNumber(min) && isNumber(max) && (dflt < min || dflt > max)) fail(`${at}.default`, `must lie between min and max (${dflt} is outside ${min}…${max})`);
      break;
    }
    case 'choice':
      checkList(p.values, `${at}.values`, fail, (v, path) => { if (v !== null && typeof v === 'object') fail(path, 'must be a single value'); });
      if (p.default !== undefined && Array.isArray(p.values) && !p.values.includes(p.default)) {
        fail(`${at}.default`, `must be one of the values (${p.values.join(', ')})`);
      }
      break;
    case 'bool':
      if (p.default !== undefined && typeof p.default !== 'boolean') fail(`${at}.default`, 'must be true or false');
      break;
    case 'const':
      if (p.value === undefined) fail(`${at}.value`, 'is required');
      break;
    case 'group':
      if (!Array.isArray(p.values) || !p.values.length) fail(`${at}.values`, p.values === undefined ? 'is required' : 'must list at least one group of values');
      else p.values.forEach((entry, i) => { if (!isObject(entry) || !Object.keys(entry).length) fail(`${at}.values[${i}]`, 'must be a mapping such as {h: 32, w: 32}'); });
      break;
    default: break;
  }
  if (strategy !== 'random' && !ADAPTIVE.has(strategy) && count === null) {
    fail(at, `needs step, count or values: a ${strategy} sweep cannot enumerate a continuous range (strategies random, asha and tpe sample one)`);
  }
  if (strategy === 'one-at-a-time' && p.default === undefined && p.type !== 'const') {
    fail(`${at}.default`, 'is required by sweep strategy one-at-a-time (the value it sits at while others vary)');
  }
}

function checkList(values, path, fail, each) {
  if (values === undefined) { fail(path, 'is required'); return; }
  if (!Array.isArray(values)) { fail(path, 'must be a list such as [1, 2, 3]'); return; }
  if (!values.length) { fail(path, 'must list at least one value'); return; }
  const seen = [];
  values.forEach((v, i) => {
    each(v, `${path}[${i}]`);
    if (seen.some((s) => s === v)) fail(`${path}[${i}]`, `repeats the value ${v}`);
    seen.push(v);
  });
}

// ---- command line text <-> argv -------------------------------------------

/** Splits `python train.py "{config}" --x 'a b'` into argv (quotes group, backslash escapes). */
export function splitArgs(text) {
  const out = [];
  let cur = '', quote = null, any = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") { quote = c; any = true; }
    else if (c === '\\' && i + 1 < text.length) { cur += text[++i]; any = true; }
    else if (/\s/.test(c)) { if (any || cur) out.push(cur); cur = ''; any = false; }
    else { cur += c; any = true; }
  }
  if (any || cur) out.push(cur);
  return out;
}

export function joinArgs(argv) {
  return (argv || []).map((a) => {
    const s = String(a);
    return s === '' || /[\s"'\\]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s;
  }).join(' ');
}
