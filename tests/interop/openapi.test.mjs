// SPDX-License-Identifier: Apache-2.0
// The served OpenAPI document validates with @apidevtools/swagger-parser (OpenAPI 3.1 schema,
// $refs resolve), and its shared pieces are where clients expect them. Starts the real
// $TK_BUILD_DIR/examples/reference_server/tenantkit-server on a free port in a temp directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';

const buildDir = process.env.TK_BUILD_DIR ?? path.resolve('../../build/dev');
const binary = path.join(buildDir, 'examples', 'reference_server', 'tenantkit-server');
let server;
let dir;
let base;

function start() {
  assert.ok(existsSync(binary), `build tenantkit-server first: ${binary}`);
  dir = mkdtempSync(path.join(tmpdir(), 'tk-openapi-'));
  server = spawn(binary, [], {
    cwd: dir,
    env: { ...process.env, TK_LISTEN: '127.0.0.1:0', TK_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20000);
    const onData = (chunk) => {
      out += chunk;
      const m = /tenantkit-server listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
  });
}

before(async () => {
  base = await start();
});

after(() => {
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function fetchDocument() {
  const res = await fetch(`${base}/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  return res.json();
}

test('the served document is a valid OpenAPI 3.1 document', async () => {
  const doc = await fetchDocument();
  assert.equal(doc.openapi, '3.1.0');
  // validate() dereferences in place: hand it a copy.
  const api = await SwaggerParser.validate(structuredClone(doc));
  assert.equal(api.info.title, doc.info.title);
});

test('every $ref resolves and every operation has an id and responses', async () => {
  const doc = await fetchDocument();
  const $refs = await SwaggerParser.resolve(structuredClone(doc));
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      if (typeof node.$ref === 'string') assert.ok($refs.exists(node.$ref), node.$ref);
      Object.values(node).forEach(walk);
    }
  };
  walk(doc);
  const ids = new Set();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      assert.ok(op.operationId, `${method} ${p}`);
      assert.ok(!ids.has(op.operationId), `duplicate ${op.operationId}`);
      ids.add(op.operationId);
      assert.ok(Object.keys(op.responses).length > 0, `${method} ${p}`);
    }
  }
});

test('problem responses share one schema; SCIM routes use SCIM errors', async () => {
  const api = await SwaggerParser.dereference(structuredClone(await fetchDocument()));
  const problem = api.components.schemas.Problem;
  for (const [p, item] of Object.entries(api.paths)) {
    for (const [method, op] of Object.entries(item)) {
      for (const [status, resp] of Object.entries(op.responses)) {
        if (!/^[45]/.test(status)) continue;
        if (p.startsWith('/scim/v2/')) {
          assert.ok(resp.content['application/scim+json'], `${method} ${p} ${status}`);
        } else {
          assert.equal(resp.content['application/problem+json'].schema, problem,
                       `${method} ${p} ${status}`);
        }
      }
    }
  }
});

test('documented operational routes answer 200', async () => {
  const doc = await fetchDocument();
  for (const p of ['/health', '/openapi.json']) {
    assert.ok(doc.paths[p]?.get, p);
    const res = await fetch(base + p);
    assert.equal(res.status, 200, p);
  }
});
