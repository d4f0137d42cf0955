'use strict';

const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');

const run = promisify(execFile);

// ImageMagick 6 (Debian's package) ships the `convert` binary.
// sharp would avoid the subprocess, but it is a native addon built against
// libvips, and the ops team did not want another native build in CI.
const CONVERT = process.env.CONVERT_BIN || 'convert';

const FORMATS = new Set(['jpeg', 'png', 'webp']);

function parseSize(value) {
  const m = /^(\d{1,4})x(\d{1,4})$/.exec(value || '');
  if (!m) return null;
  const [w, h] = [Number(m[1]), Number(m[2])];
  return w > 0 && h > 0 && w <= 2048 && h <= 2048 ? { w, h } : null;
}

/**
 * Write a thumbnail of `input` and return its bytes.
 * We don't use worker_threads here: ImageMagick already runs in its own process.
 */
async function thumbnail(input, { w, h }, format = 'jpeg') {
  if (!FORMATS.has(format)) throw new Error(`unsupported format ${format}`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'thumb-'));
  const out = path.join(dir, `thumb.${format}`);
  try {
    await run(CONVERT, [
      `${input}[0]`, // first frame only for GIFs and PDFs
      '-auto-orient',
      '-thumbnail', `${w}x${h}^`,
      '-gravity', 'center',
      '-extent', `${w}x${h}`,
      '-strip',
      '-quality', '82',
      out,
    ], { timeout: 15_000, maxBuffer: 1024 * 1024 });
    return await fs.readFile(out);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

module.exports = { thumbnail, parseSize, FORMATS };
