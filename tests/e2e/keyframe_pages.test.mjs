// The keyframe store's page module (web/static/worker.js, PAGES) is the WebAssembly text written
// beside it: assembled with binaryen (the same package `cargo xtask dist` runs wasm-opt from), it
// gives PAGES byte for byte. No browser: node runs this one alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';

const worker = readFileSync(new URL('../../web/static/worker.js', import.meta.url), 'utf8');

test('the keyframe page module is its WebAssembly text, assembled', () => {
  const text = worker.match(/gives PAGES\):\n([\s\S]*?)\n\*\//)?.[1];
  assert.ok(text && text.startsWith('(module'), 'the text of PAGES is in worker.js');
  const bytes = worker.match(/const PAGES = '([A-Za-z0-9+/=]+)';/)?.[1];
  assert.ok(bytes, 'PAGES is in worker.js');
  const module = binaryen.parseText(text);
  module.setFeatures(binaryen.Features.SIMD128 | binaryen.Features.MultiMemory
    | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt);
  assert.ok(module.validate(), 'the text is a valid module');
  assert.equal(Buffer.from(module.emitBinary()).toString('base64'), bytes);
  module.dispose();
});
