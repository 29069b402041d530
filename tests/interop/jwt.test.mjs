// SPDX-License-Identifier: Apache-2.0
// Interop: access tokens signed by tenantkit verify with `jose` through the published JWKS, and
// tokens `jose` signs with the same Ed25519 key verify in tenantkit; the attacks jose could
// produce (alg confusion, foreign key, tampering, expiry) are refused here with their reasons.
// Drives $TK_BUILD_DIR/tests/interop/jwt_tool (tests/interop/tools/jwt_tool.cpp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';

const buildDir = process.env.TK_BUILD_DIR;
if (!buildDir) throw new Error('TK_BUILD_DIR is not set');
const tool = join(buildDir, 'tests', 'interop', 'jwt_tool');
const dir = mkdtempSync(join(tmpdir(), 'tk-jwt-interop-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const run = (...args) => execFileSync(tool, args, { encoding: 'utf8' }).trim();
// Returns { ok, out }: verify exits 1 with the refusal reason on stdout.
const verify = (keyFile, token) => {
  const r = spawnSync(tool, ['verify', '--key-file', keyFile, token], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout.trim() };
};
const privateJwk = (keyFile, index = -1) => {
  const { keys } = JSON.parse(readFileSync(keyFile, 'utf8'));
  return keys.at(index);
};
const now = () => Math.floor(Date.now() / 1000);

test('the key file is created on first start with mode 0600', () => {
  const keyFile = join(dir, 'first', 'keys.json');
  const jwks = JSON.parse(run('jwks', '--key-file', keyFile));
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(jwks.keys.length, 1);
  const [k] = jwks.keys;
  assert.deepEqual(
    { kty: k.kty, crv: k.crv, alg: k.alg, use: k.use },
    { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' },
  );
  assert.equal(k.d, undefined, 'the public JWKS must not carry the private key');
});

test('kid is the RFC 7638 thumbprint jose computes', async () => {
  const keyFile = join(dir, 'kid.json');
  const [k] = JSON.parse(run('jwks', '--key-file', keyFile)).keys;
  assert.equal(await jose.calculateJwkThumbprint({ kty: k.kty, crv: k.crv, x: k.x }), k.kid);
});

test('a tenantkit token verifies with jose through the JWKS', async () => {
  const keyFile = join(dir, 'a.json');
  const jwks = jose.createLocalJWKSet(JSON.parse(run('jwks', '--key-file', keyFile)));
  const token = run('sign', '--key-file', keyFile, '--sub', 'user-42', '--org', 'org-7', '--sid', 'sess-3');
  const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
    issuer: 'tenantkit',
    audience: 'tenantkit',
    algorithms: ['EdDSA'],
  });
  assert.equal(protectedHeader.alg, 'EdDSA');
  assert.equal(protectedHeader.typ, 'JWT');
  assert.equal(payload.sub, 'user-42');
  assert.equal(payload.org, 'org-7');
  assert.equal(payload.sid, 'sess-3');
  assert.equal(payload.exp - payload.iat, 900);
  assert.ok(Math.abs(payload.iat - now()) < 60);
  assert.equal(typeof payload.jti, 'string');
});

test('a jose token signed with the same key verifies in tenantkit', async () => {
  const keyFile = join(dir, 'b.json');
  run('jwks', '--key-file', keyFile);
  const jwk = privateJwk(keyFile);
  const key = await jose.importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }, 'EdDSA');
  const token = await new jose.SignJWT({ org: 'org-1', sid: 'sess-1' })
    .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid })
    .setIssuer('tenantkit')
    .setAudience(['other', 'tenantkit'])
    .setSubject('user-7')
    .setIssuedAt()
    .setNotBefore(now() - 5)
    .setExpirationTime('10m')
    .setJti('jose-1')
    .sign(key);
  const r = verify(keyFile, token);
  assert.ok(r.ok, r.out);
  const claims = JSON.parse(r.out);
  assert.equal(claims.sub, 'user-7');
  assert.equal(claims.org, 'org-1');
  assert.equal(claims.sid, 'sess-1');
  assert.equal(claims.jti, 'jose-1');
});

test('forged jose tokens are refused with distinct reasons', async () => {
  const keyFile = join(dir, 'c.json');
  const [pub] = JSON.parse(run('jwks', '--key-file', keyFile)).keys;
  const base = () =>
    new jose.SignJWT({}).setIssuer('tenantkit').setAudience('tenantkit').setSubject('u').setIssuedAt();

  // HS256 keyed with the public key (key confusion).
  const hmacKey = new TextEncoder().encode(pub.x);
  const confused = await base().setProtectedHeader({ alg: 'HS256', kid: pub.kid }).setExpirationTime('5m').sign(hmacKey);
  assert.deepEqual(verify(keyFile, confused), { ok: false, out: 'token_alg_not_allowed' });

  // Unsecured JWT (alg none).
  const none = new jose.UnsecuredJWT({ iss: 'tenantkit', aud: 'tenantkit', sub: 'u', iat: now(), exp: now() + 60 }).encode();
  assert.deepEqual(verify(keyFile, none), { ok: false, out: 'token_alg_none' });

  // Another Ed25519 key claiming our kid.
  const { privateKey } = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const foreign = await base().setProtectedHeader({ alg: 'EdDSA', kid: pub.kid }).setExpirationTime('5m').sign(privateKey);
  assert.deepEqual(verify(keyFile, foreign), { ok: false, out: 'token_bad_signature' });
  const noKid = await base().setProtectedHeader({ alg: 'EdDSA' }).setExpirationTime('5m').sign(privateKey);
  assert.deepEqual(verify(keyFile, noKid), { ok: false, out: 'token_missing_kid' });
  const otherKid = await base().setProtectedHeader({ alg: 'EdDSA', kid: 'other' }).setExpirationTime('5m').sign(privateKey);
  assert.deepEqual(verify(keyFile, otherKid), { ok: false, out: 'token_unknown_kid' });

  // Our own key, but expired, from the future, or for someone else.
  const jwk = privateJwk(keyFile);
  const ours = await jose.importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, 'EdDSA');
  const header = { alg: 'EdDSA', kid: jwk.kid };
  const expired = await new jose.SignJWT({}).setProtectedHeader(header).setIssuer('tenantkit')
    .setAudience('tenantkit').setSubject('u').setIssuedAt(now() - 3600).setExpirationTime(now() - 1800).sign(ours);
  assert.deepEqual(verify(keyFile, expired), { ok: false, out: 'token_expired' });
  const future = await new jose.SignJWT({}).setProtectedHeader(header).setIssuer('tenantkit')
    .setAudience('tenantkit').setSubject('u').setIssuedAt(now() + 3600).setExpirationTime(now() + 7200).sign(ours);
  assert.deepEqual(verify(keyFile, future), { ok: false, out: 'token_not_yet_valid' });
  const wrongIss = await new jose.SignJWT({}).setProtectedHeader(header).setIssuer('evil')
    .setAudience('tenantkit').setSubject('u').setIssuedAt().setExpirationTime('5m').sign(ours);
  assert.deepEqual(verify(keyFile, wrongIss), { ok: false, out: 'token_wrong_issuer' });
  const wrongAud = await new jose.SignJWT({}).setProtectedHeader(header).setIssuer('tenantkit')
    .setAudience('billing').setSubject('u').setIssuedAt().setExpirationTime('5m').sign(ours);
  assert.deepEqual(verify(keyFile, wrongAud), { ok: false, out: 'token_wrong_audience' });

  // Tampered payload of a valid tenantkit token.
  const good = run('sign', '--key-file', keyFile, '--sub', 'user-1');
  const [h, p, s] = good.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.sub = 'admin';
  const tampered = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
  assert.deepEqual(verify(keyFile, tampered), { ok: false, out: 'token_bad_signature' });
});

test('after a rotation both keys are published and old tokens still verify', async () => {
  const keyFile = join(dir, 'd.json');
  const oldToken = run('sign', '--key-file', keyFile);
  const oldKid = jose.decodeProtectedHeader(oldToken).kid;
  const jwksDoc = JSON.parse(run('rotate', '--key-file', keyFile));
  assert.equal(jwksDoc.keys.length, 2);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const newToken = run('sign', '--key-file', keyFile);
  const newKid = jose.decodeProtectedHeader(newToken).kid;
  assert.notEqual(newKid, oldKid);
  assert.equal(jwksDoc.keys[0].kid, newKid, 'newest key first');
  const jwks = jose.createLocalJWKSet(jwksDoc);
  const opts = { issuer: 'tenantkit', audience: 'tenantkit', algorithms: ['EdDSA'] };
  await jose.jwtVerify(oldToken, jwks, opts);
  await jose.jwtVerify(newToken, jwks, opts);
  assert.ok(verify(keyFile, oldToken).ok);
});

test('HS256 tokens interoperate with a shared secret', async () => {
  const secret = 'an-hs256-secret-of-at-least-32-bytes!';
  const token = run('sign', '--alg', 'HS256', '--secret', secret, '--sub', 'user-5');
  const { payload, protectedHeader } = await jose.jwtVerify(token, new TextEncoder().encode(secret), {
    issuer: 'tenantkit',
    audience: 'tenantkit',
    algorithms: ['HS256'],
  });
  assert.equal(protectedHeader.alg, 'HS256');
  assert.equal(payload.sub, 'user-5');
  const joseToken = await new jose.SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('tenantkit')
    .setAudience('tenantkit').setSubject('user-6').setIssuedAt().setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
  const r = spawnSync(tool, ['verify', '--alg', 'HS256', '--secret', secret, joseToken], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout);
  assert.equal(JSON.parse(r.stdout).sub, 'user-6');
});
