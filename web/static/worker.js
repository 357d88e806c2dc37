// The playground's worker: loads the same wasm and glue as the page and hands over to Rust
// (web/src/worker/entry.rs), which answers the page's requests. A failure to load shows up as
// the worker's error event on the page, which then answers on the main thread instead.
import init, { workerMain } from './strata_web.js';

await init();
workerMain();
