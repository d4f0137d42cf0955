'use strict';

const express = require('express');
const multer = require('multer');
const os = require('node:os');
const fs = require('node:fs/promises');
const pinoHttp = require('pino-http');

const { thumbnail, parseSize, FORMATS } = require('./thumbnail');

const upload = multer({
  dest: os.tmpdir(),
  limits: { fileSize: 25 * 1024 * 1024, files: 1 },
});

const app = express();
app.disable('x-powered-by');
app.use(pinoHttp());

app.get('/healthz', (_req, res) => res.json({ ok: true }));

app.post('/thumbnails', upload.single('image'), async (req, res) => {
  if (!req.file) return res.status(400).json({ error: "field 'image' is required" });
  const size = parseSize(req.query.size || '256x256');
  const format = String(req.query.format || 'jpeg');
  try {
    if (!size) return res.status(400).json({ error: 'size must be WxH, at most 2048x2048' });
    if (!FORMATS.has(format)) return res.status(400).json({ error: `format must be one of ${[...FORMATS]}` });
    const body = await thumbnail(req.file.path, size, format);
    res.type(format).set('Cache-Control', 'public, max-age=86400').send(body);
  } catch (err) {
    req.log.warn({ err }, 'thumbnail failed');
    res.status(422).json({ error: 'could not read image' });
  } finally {
    await fs.rm(req.file.path, { force: true });
  }
});

if (require.main === module) {
  const port = Number(process.env.PORT || 3000);
  app.listen(port, () => console.log(`thumbnailer listening on :${port}`));
}

module.exports = app;
