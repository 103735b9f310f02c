// A tiny ZIP writer (stored entries, no compression, CRC-32) for folders
// dropped into the browser, and a reader that pulls one small file (assay.yaml)
// out of an uploaded zip. Plain ZIP: at most 65,535 entries and 4 GiB.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as ZIP uses it) of `bytes`, continuing from `crc`. */
export function crc32(bytes, crc = 0) {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Folders and files that never belong in an artifact. */
export const EXCLUDED = new Set(['.git', '.hg', '.svn', '__pycache__', '.DS_Store', '.ipynb_checkpoints']);

export function isExcluded(path) {
  return path.split('/').some((part) => EXCLUDED.has(part));
}

const MAX_ENTRIES = 65535;
const MAX_BYTES = 0xffffffff;

function dosDateTime(ms) {
  const d = new Date(ms || Date.now());
  const year = Math.max(1980, d.getFullYear());
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
  const date = ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  return { time, date };
}

/**
 * Zips `files` ([{path, data: Blob|Uint8Array, lastModified?}]) into a Blob.
 * Names are UTF-8 (flag bit 11), entries are regular files (mode 0644).
 * onProgress(doneFiles, totalFiles) after each file.
 */
export async function zipFiles(files, { onProgress } = {}) {
  if (files.length > MAX_ENTRIES) throw new Error(`Too many files (${files.length}); a plain ZIP holds at most ${MAX_ENTRIES}. Zip the folder yourself or leave out generated files.`);
  const encoder = new TextEncoder();
  const parts = [];
  const central = [];
  let offset = 0;
  let done = 0;
  for (const file of files) {
    const name = encoder.encode(file.path);
    const data = file.data instanceof Uint8Array ? file.data : new Uint8Array(await file.data.arrayBuffer());
    const crc = crc32(data);
    const { time, date } = dosDateTime(file.lastModified);
    if (offset + 30 + name.length + data.length > MAX_BYTES) throw new Error('The folder is larger than 4 GiB, more than a plain ZIP holds.');
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);        // version needed: 2.0
    local.setUint16(6, 0x0800, true);    // UTF-8 names
    local.setUint16(8, 0, true);         // stored
    local.setUint16(10, time, true);
    local.setUint16(12, date, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true);
    parts.push(new Uint8Array(local.buffer), name, data);

    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(4, 0x031e, true);    // made by: Unix, 3.0 (so the mode below is read)
    entry.setUint16(6, 20, true);
    entry.setUint16(8, 0x0800, true);
    entry.setUint16(10, 0, true);
    entry.setUint16(12, time, true);
    entry.setUint16(14, date, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, data.length, true);
    entry.setUint32(24, data.length, true);
    entry.setUint16(28, name.length, true);
    entry.setUint16(30, 0, true);        // extra
    entry.setUint16(32, 0, true);        // comment
    entry.setUint16(34, 0, true);        // disk
    entry.setUint16(36, 0, true);        // internal attributes
    entry.setUint32(38, (0o100644 << 16) >>> 0, true);
    entry.setUint32(42, offset, true);
    central.push(new Uint8Array(entry.buffer), name);

    offset += 30 + name.length + data.length;
    done += 1;
    if (onProgress) onProgress(done, files.length);
  }
  const centralSize = central.reduce((n, part) => n + part.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(4, 0, true);
  end.setUint16(6, 0, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  end.setUint16(20, 0, true);
  return new Blob([...parts, ...central, new Uint8Array(end.buffer)], { type: 'application/zip' });
}

/**
 * The text of the first of `names` at the root of the zip `blob`, or null.
 * Reads only the end of the file and that entry (stored or deflated).
 */
export async function readZipEntry(blob, names, maxBytes = 1024 * 1024) {
  const tailSize = Math.min(blob.size, 22 + 65535);
  const tail = new Uint8Array(await blob.slice(blob.size - tailSize).arrayBuffer());
  const view = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('This file is not a ZIP archive.');
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || cdSize > 64 * 1024 * 1024) return null;  // ZIP64 or absurd: not worth it here
  const cd = new DataView(await blob.slice(cdOffset, cdOffset + cdSize).arrayBuffer());
  const decoder = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count && p + 46 <= cd.byteLength; i++) {
    if (cd.getUint32(p, true) !== 0x02014b50) break;
    const method = cd.getUint16(p + 10, true);
    const compressed = cd.getUint32(p + 20, true);
    const size = cd.getUint32(p + 24, true);
    const nameLength = cd.getUint16(p + 28, true);
    const extraLength = cd.getUint16(p + 30, true);
    const commentLength = cd.getUint16(p + 32, true);
    const localOffset = cd.getUint32(p + 42, true);
    const name = decoder.decode(new Uint8Array(cd.buffer, p + 46, nameLength));
    p += 46 + nameLength + extraLength + commentLength;
    if (!names.includes(name) || size > maxBytes) continue;
    const header = new DataView(await blob.slice(localOffset, localOffset + 30).arrayBuffer());
    const start = localOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
    const raw = blob.slice(start, start + compressed);
    if (method === 0) return decoder.decode(await raw.arrayBuffer());
    if (method === 8 && typeof DecompressionStream === 'function') {
      const stream = raw.stream().pipeThrough(new DecompressionStream('deflate-raw'));
      return decoder.decode(await new Response(stream).arrayBuffer());
    }
    return null;
  }
  return null;
}

// ---- folders ----------------------------------------------------------------

/** Files of a dropped folder entry (webkitGetAsEntry), with paths relative to it. */
export async function filesOfEntry(rootEntry) {
  const out = [];
  async function walk(entry, prefix) {
    if (EXCLUDED.has(entry.name)) return;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ path, data: file, lastModified: file.lastModified });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, path);
      }
    }
  }
  if (rootEntry.isDirectory) {
    const reader = rootEntry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, '');
    }
  } else {
    await walk(rootEntry, '');
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/** Files of an <input webkitdirectory> selection, the chosen folder's name stripped. */
export function filesOfDirectoryInput(fileList) {
  const out = [];
  for (const file of fileList) {
    const relative = (file.webkitRelativePath || file.name).split('/').slice(1).join('/') || file.name;
    if (isExcluded(relative)) continue;
    out.push({ path: relative, data: file, lastModified: file.lastModified });
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/** Lower-case hex SHA-256 of a Blob, or null where SubtleCrypto is missing (plain http off localhost). */
export async function sha256Hex(blob) {
  if (!globalThis.crypto || !crypto.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
