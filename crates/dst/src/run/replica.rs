//! The read replica's process: it follows the store, reads random keys, and checks them
//! against the register model and its own history (never back, never less than what was
//! durable when its view was current).

use super::*;

/// The read replica: follows the store, reads random keys, and checks that it never goes
/// back and never shows less than what was durable when its view was current.
pub(super) async fn replica(ctx: Rc<Ctx>) {
    let options = ReaderOptions {
        poll_interval: ctx.world.reader_poll,
        block_cache_bytes: 64 * 1024,
    };
    let runtime: RuntimeRef = Rc::new(ctx.handle.clone());
    let reader = loop {
        if ctx.failed() || ctx.handle.now() >= ctx.world.end {
            return;
        }
        match Reader::open(runtime.clone(), ctx.port.clone(), DB_ROOT, options.clone()).await {
            Ok(reader) => break reader,
            // Before the first writer commits there is nothing to follow yet.
            Err(_) => ctx.handle.sleep(SimDuration::from_millis(100)).await,
        }
    };
    let mut rng = ctx.handle.rng("dst.replica");
    let mut last_seq = 0;
    let mut seen: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    while ctx.handle.now() < ctx.world.end && !ctx.failed() {
        ctx.handle
            .sleep(SimDuration::from_millis(20 + rng.below(150)))
            .await;
        let seq = reader.seq();
        if seq < last_seq {
            ctx.fail(
                Oracle::Replica,
                format!("the replica went back from seq {last_seq} to {seq}"),
            );
            return;
        }
        last_seq = seq;
        let key = key_of(rng.below(KEY_COUNT));
        let current_as_of = reader.staleness().current_as_of;
        let started = ctx.handle.now();
        let result = reader.get(&key).await;
        ctx.stats.borrow_mut().replica_reads += 1;
        match result {
            Ok(got) => {
                let visibility = Visibility {
                    everyone_before: current_as_of,
                    own: None,
                };
                let time = ReadTime {
                    started,
                    finished: ctx.handle.now(),
                };
                let checked =
                    ctx.model
                        .borrow_mut()
                        .check_read(&key, got.as_deref(), visibility, time);
                if let Err(message) = checked {
                    ctx.fail(Oracle::Replica, message);
                    return;
                }
                let corrupted = ctx.model.borrow().resealed_corruption;
                match got.as_deref().and_then(id_of) {
                    Some(write_id) => {
                        let previous = seen.insert(key.clone(), write_id).unwrap_or(0);
                        if write_id < previous && !corrupted {
                            ctx.fail(
                                Oracle::Replica,
                                format!(
                                    "the replica showed write {previous} of {}, then the older {write_id}",
                                    String::from_utf8_lossy(&key)
                                ),
                            );
                        }
                    }
                    None => {
                        if let Some(&previous) = seen.get(&key) {
                            let gone = ctx.model.borrow().may_be_gone_after(
                                &key,
                                previous,
                                ctx.handle.now(),
                            );
                            if !corrupted && !gone {
                                ctx.fail(
                                    Oracle::Replica,
                                    format!(
                                        "the replica showed write {previous} of {}, then nothing, with no delete or expiry to explain it",
                                        String::from_utf8_lossy(&key)
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            Err(error) => {
                if lost_object(&error) {
                    ctx.fail(
                        Oracle::Replica,
                        format!("the replica lost an object: {error}"),
                    );
                } else if !ctx.tolerable(&error) {
                    ctx.fail(Oracle::UnexpectedError, format!("replica read: {error}"));
                }
            }
        }
    }
}
