//! The writer's process: opens the database (fencing any older writer), puts, deletes, range
//! deletes and reads keys, checked against the register model, honours its pauses, and ends
//! as the world says: a clean close, a crash, or abandoned as a zombie whose background tasks
//! run on until a newer writer fences it.

use super::*;

pub(super) async fn writer(
    ctx: Rc<Ctx>,
    id: u32,
    start: SimTime,
    stop: SimTime,
    ending: Ending,
    pauses: Vec<Pause>,
) {
    ctx.handle.sleep_until(start).await;
    let latest = {
        let ctx = Rc::downgrade(&ctx);
        Rc::new(move || ctx.upgrade().map(|ctx| ctx.latest_epoch()).unwrap_or(0))
    };
    ctx.stats.borrow_mut().pauses += pauses.len() as u64;
    let clock = ProcessClock::new(
        ctx.handle.clone(),
        pauses,
        latest,
        ctx.world.store_clock_behind_ms,
    );
    ctx.clocks.borrow_mut().push(clock.clone());
    let runtime = PausableRuntime::runtime(ctx.handle.clone(), clock.clone());
    let port = PausableStore::port(ctx.port.clone(), clock.clone());
    clock.wait_while_paused().await;
    let open_started = ctx.handle.now();
    let Some(db) = open_writer(&ctx, &runtime, &port, DB_ROOT, stop).await else {
        return;
    };
    let db = Rc::new(db);
    clock.writer_epoch.set(db.writer_epoch());
    let older_alive = !ctx.live.borrow().is_empty()
        || ctx
            .zombies
            .borrow()
            .iter()
            .any(|zombie| zombie.status() == DbStatus::Open);
    if older_alive {
        ctx.stats.borrow_mut().takeovers += 1;
    }
    ctx.live.borrow_mut().insert(id, db.clone());
    let mut rng = ctx.handle.rng(&format!("dst.writer.{id}"));
    // Range deletes and time-to-live draw from a stream of their own.
    let mut lifetimes = ctx.handle.rng(&format!("dst.writer.{id}.lifetimes"));
    // Writes that returned Ok but are not yet known durable: a clean close or flush makes
    // them so.
    let mut pending: Vec<(Vec<u8>, u64)> = Vec::new();
    let superseded = |db: &Db| ctx.latest_epoch() > db.writer_epoch();
    while ctx.handle.now() < stop && !ctx.failed() {
        clock.wait_while_paused().await;
        if ctx.handle.now() >= stop {
            break;
        }
        let roll = rng.below(100);
        match roll {
            0..=57 => {
                // A put, a delete, or a batch of 2 to 4 of them, its puts sometimes with a
                // time-to-live; or, drawn from its own stream, a range delete.
                let durable = rng.bernoulli(0.35);
                let options = if durable {
                    WriteOptions::DURABLE
                } else {
                    WriteOptions::NO_AWAIT
                };
                let before = db.acknowledged_seq();
                let issued_at = ctx.handle.now();
                let (writes, result) = if lifetimes.bernoulli(RANGE_DELETE_SHARE) {
                    let first = lifetimes.below(KEY_COUNT);
                    let end = (first + 1 + lifetimes.below(MAX_RANGE_KEYS)).min(KEY_COUNT);
                    let write_id = ctx.model.borrow_mut().next_id();
                    ctx.stats.borrow_mut().range_deletes += 1;
                    let writes: Vec<(Vec<u8>, u64)> = (first..end)
                        .map(|index| (key_of(index), write_id))
                        .collect();
                    for (key, write_id) in &writes {
                        ctx.model
                            .borrow_mut()
                            .issue(key, None, *write_id, id, None, issued_at);
                    }
                    // `key_of` has two digits for every index up to KEY_COUNT, so the end
                    // key sorts after every covered key.
                    let result = db.delete_range(key_of(first)..key_of(end), options).await;
                    (writes, result)
                } else {
                    let ttl = lifetimes
                        .bernoulli(TTL_SHARE)
                        .then(|| SimDuration::from_millis(1 + lifetimes.below(MAX_TTL_MS)));
                    if ttl.is_some() {
                        ctx.stats.borrow_mut().ttl_writes += 1;
                    }
                    let count = if roll >= 50 { 2 + rng.below(3) } else { 1 };
                    let mut batch = WriteBatch::new();
                    let mut writes = Vec::new();
                    for _ in 0..count {
                        let key = key_of(rng.below(KEY_COUNT));
                        let write_id = ctx.model.borrow_mut().next_id();
                        let delete = ((40..50).contains(&roll) && count == 1) || rng.bernoulli(0.1);
                        let value = if delete {
                            None
                        } else {
                            Some(value_of(write_id, rng.below(24) as usize))
                        };
                        ctx.model.borrow_mut().issue(
                            &key,
                            value.clone(),
                            write_id,
                            id,
                            ttl,
                            issued_at,
                        );
                        match &value {
                            Some(value) => batch.put(&key, value),
                            None => batch.delete(&key),
                        };
                        writes.push((key, write_id));
                    }
                    let options = WriteOptions { ttl, ..options };
                    (writes, db.write(&batch, options).await)
                };
                match result {
                    Ok(()) if durable => {
                        ctx.model
                            .borrow_mut()
                            .acknowledge(&writes, ctx.handle.now());
                    }
                    Ok(()) => {
                        ctx.model.borrow_mut().returned(&writes, ctx.handle.now());
                        pending.extend(writes);
                    }
                    Err(error) => {
                        if db.acknowledged_seq() > before && !durable {
                            pending.extend(writes);
                        }
                        if !ctx.tolerable(&error) {
                            ctx.fail(Oracle::UnexpectedError, format!("write: {error}"));
                        }
                        if matches!(error.kind(), ErrorKind::Fenced | ErrorKind::Closed) {
                            break;
                        }
                    }
                }
            }
            58..=79 => {
                let key = key_of(rng.below(KEY_COUNT));
                let read_started = ctx.handle.now();
                let options = if rng.bernoulli(0.5) {
                    ReadOptions::DURABLE
                } else {
                    ReadOptions::MEMORY
                };
                let result = db.get(&key, options).await;
                let visibility = Visibility {
                    everyone_before: open_started,
                    own: Some((id, read_started)),
                };
                check_writer_read(
                    &ctx,
                    &key,
                    result,
                    visibility,
                    read_started,
                    superseded(&db),
                );
            }
            80..=84 => {
                let read_started = ctx.handle.now();
                let result = match db.scan::<&[u8]>(..) {
                    Ok(scan) => scan.collect(usize::MAX).await,
                    Err(error) => Err(error),
                };
                let visibility = Visibility {
                    everyone_before: open_started,
                    own: Some((id, read_started)),
                };
                match result {
                    Ok(pairs) => {
                        let found: BTreeMap<Vec<u8>, bytes::Bytes> = pairs
                            .into_iter()
                            .map(|(key, value)| (key.to_vec(), value))
                            .collect();
                        for index in 0..KEY_COUNT {
                            let key = key_of(index);
                            let got = found.get(&key).cloned();
                            check_writer_read(
                                &ctx,
                                &key,
                                Ok(got),
                                visibility,
                                read_started,
                                superseded(&db),
                            );
                        }
                    }
                    Err(error) => check_writer_read(
                        &ctx,
                        b"scan",
                        Err(error),
                        visibility,
                        read_started,
                        superseded(&db),
                    ),
                }
            }
            85..=94 => {
                ctx.handle
                    .sleep(SimDuration::from_millis(rng.below(200)))
                    .await;
            }
            _ => match db.flush().await {
                Ok(()) => {
                    let now = ctx.handle.now();
                    ctx.model.borrow_mut().acknowledge(&pending, now);
                    pending.clear();
                }
                Err(error) => {
                    if !ctx.tolerable(&error) {
                        ctx.fail(Oracle::UnexpectedError, format!("flush: {error}"));
                    }
                }
            },
        }
    }
    ctx.live.borrow_mut().remove(&id);
    match ending {
        Ending::Close => {
            if db.close().await.is_ok() {
                let now = ctx.handle.now();
                ctx.model.borrow_mut().acknowledge(&pending, now);
            }
        }
        Ending::Crash => {
            ctx.stats.borrow_mut().writer_crashes += 1;
            db.crash();
            if ctx.planted == Some(Planted::CrashUnderSlowFault)
                && ctx.world.events.iter().any(|event| {
                    matches!(event, Event::Fault { spec, .. }
                        if spec.action.kind() == strata_sim::FaultKind::Slow)
                })
            {
                ctx.fail(
                    Oracle::Planted,
                    "a writer crashed while a Slow fault was scheduled",
                );
            }
        }
        Ending::Abandon => {
            ctx.stats.borrow_mut().zombies += 1;
            ctx.zombies.borrow_mut().push(db);
        }
    }
}
