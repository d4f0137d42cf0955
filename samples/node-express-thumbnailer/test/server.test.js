'use strict';

const test = require('node:test');
const assert = require('node:assert');
const request = require('supertest');

const app = require('../src/server');
const { parseSize } = require('../src/thumbnail');

test('parseSize accepts WxH within bounds', () => {
  assert.deepStrictEqual(parseSize('128x64'), { w: 128, h: 64 });
  assert.strictEqual(parseSize('0x10'), null);
  assert.strictEqual(parseSize('4096x4096'), null);
  assert.strictEqual(parseSize('big'), null);
});

test('POST /thumbnails without a file is a 400', async () => {
  const res = await request(app).post('/thumbnails');
  assert.strictEqual(res.status, 400);
});
