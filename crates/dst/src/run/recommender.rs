//! The recommender's process: it recovers its policy from the engine, logs impressions and
//! checkpoints, and keeps the policy twins that the checkpoint oracle compares recoveries to.

use super::*;

fn policy_config() -> PolicyConfig {
    PolicyConfig::default()
}

/// Checks a recovered policy against the twin: it must equal the policy after some step at
/// or after the newest durable one; the twin then forgets the steps the crash lost.
pub(super) fn check_recovered(ctx: &Ctx, db: &Db, recovered: &AnyPolicy) {
    if replaced(ctx, db) {
        // A handle that a newer one has replaced (its open was slow): its view may be stale,
        // as any zombie's; only current handles are held to the checkpoint.
        return;
    }
    ctx.stats.borrow_mut().recoveries_checked += 1;
    if ctx.twins.borrow().is_empty() {
        push_twin(ctx, recovered);
        return;
    }
    let mut twins = ctx.twins.borrow_mut();
    let durable = ctx.twin_durable_step.get();
    match (durable..twins.len()).find(|&step| twins[step].policy.as_ref() == Some(recovered)) {
        Some(step) => {
            twins.truncate(step + 1);
            ctx.twin_durable_step.set(step);
        }
        None => {
            if !ctx.model.borrow().resealed_corruption {
                ctx.fail(
                    Oracle::Checkpoint,
                    format!(
                        "the recovered policy (version {}) matches no step from the durable step {durable} to {}",
                        recovered.version(),
                        twins.len() - 1
                    ),
                );
            }
        }
    }
}

/// Whether a newer recommender has taken the database over from `db`'s handle (whether or
/// not the handle has learnt it yet).
fn replaced(ctx: &Ctx, db: &Db) -> bool {
    ctx.latest_epoch_in(RECOMMENDER_ROOT) > db.writer_epoch()
}

/// Pushes the policy after a step onto the twins; returns the step's index and push.
fn push_twin(ctx: &Ctx, policy: &AnyPolicy) -> (usize, u64) {
    let push = ctx.twin_pushes.get();
    ctx.twin_pushes.set(push + 1);
    let mut twins = ctx.twins.borrow_mut();
    twins.push(TwinStep {
        push,
        policy: Some(policy.clone()),
    });
    (twins.len() - 1, push)
}

/// Whether step `step` of the twins is still the one push `push` made (a recovery may have
/// cut it, and a later push taken its index).
fn still_ours(ctx: &Ctx, step: usize, push: u64) -> bool {
    ctx.twins
        .borrow()
        .get(step)
        .is_some_and(|twin| twin.push == push)
}

pub(super) async fn recover(ctx: &Ctx, db: &Db) -> Option<AnyPolicy> {
    for _ in 0..20 {
        match recover_policy(db, RECOMMENDER_PREFIX, &policy_config(), ARMS).await {
            Ok(recovered) => return Some(recovered.policy),
            Err(error) => {
                if replaced(ctx, db) {
                    // The newer writer compacts and collects SSTs this handle's view still
                    // lists: a failed read here is no lost object, and a zombie stops.
                    return None;
                }
                let text = error.to_string();
                if text.contains("object not found") {
                    ctx.fail(
                        Oracle::Checkpoint,
                        format!("recovery lost an object: {text}"),
                    );
                    return None;
                }
                if ctx.corruption_possible() && !text.contains("unavailable") {
                    return None;
                }
                ctx.handle.sleep(SimDuration::from_millis(100)).await;
            }
        }
    }
    None
}

pub(super) async fn recommender(ctx: Rc<Ctx>, id: u32, start: SimTime, stop: SimTime, crash: bool) {
    ctx.handle.sleep_until(start).await;
    let runtime: RuntimeRef = Rc::new(ctx.handle.clone());
    let Some(db) = open_writer(&ctx, &runtime, &ctx.port, RECOMMENDER_ROOT, stop).await else {
        return;
    };
    let Some(mut policy) = recover(&ctx, &db).await else {
        return;
    };
    check_recovered(&ctx, &db, &policy);
    if ctx.failed() {
        return;
    }
    let mut rng: SimRng = ctx.handle.rng(&format!("dst.recommender.{id}"));
    let context = Context::default();
    let mut steps_since_checkpoint = 0;
    // The last step this process logged (its write applied), which a clean close makes
    // durable.
    let mut last_own_step = None;
    while ctx.handle.now() < stop && !ctx.failed() {
        ctx.handle
            .sleep(SimDuration::from_millis(20 + rng.below(100)))
            .await;
        let arm = rng.index(ARMS);
        let reward = if rng.bernoulli(0.3) { 1.0 } else { 0.0 };
        if policy.update(&context, arm, reward).is_err() {
            ctx.fail(Oracle::UnexpectedError, "policy update refused a valid arm");
            return;
        }
        let now = ctx.handle.now();
        let impression_id = ctx.next_impression.get();
        ctx.next_impression.set(impression_id + 1);
        let key = impression_key(RECOMMENDER_PREFIX, now, impression_id);
        let record = ImpressionRecord {
            impression_id,
            time_ns: now.as_nanos(),
            step: impression_id,
            user: 0,
            context: context.clone(),
            slate: vec![arm as u32],
            arm: arm as u32,
            position: 0,
            propensity: 1.0 / ARMS as f64,
            reward,
            exploratory: false,
            policy_version: policy.version(),
        };
        let mut batch = WriteBatch::new();
        batch.put(
            key.as_bytes(),
            serde_json::to_vec(&record).expect("records serialise"),
        );
        steps_since_checkpoint += 1;
        if steps_since_checkpoint >= 5 {
            steps_since_checkpoint = 0;
            let checkpoint = CheckpointRecord {
                policy_version: policy.version(),
                step: impression_id,
                last_impression_key: Some(key.clone()),
                policy: policy.clone(),
            };
            batch.put(
                checkpoint_key(RECOMMENDER_PREFIX, policy.version()).as_bytes(),
                serde_json::to_vec(&checkpoint).expect("checkpoints serialise"),
            );
        }
        let (step, push) = push_twin(&ctx, &policy);
        let durable = rng.bernoulli(0.5);
        let options = if durable {
            WriteOptions::DURABLE
        } else {
            WriteOptions::NO_AWAIT
        };
        let before = db.acknowledged_seq();
        let written = db.write(&batch, options).await;
        if db.acknowledged_seq() != before {
            last_own_step = Some((step, push));
        }
        match written {
            Ok(()) if durable && still_ours(&ctx, step, push) => ctx.twin_durable_step.set(step),
            Ok(()) => {}
            Err(error) => {
                if !ctx.tolerable(&error) {
                    ctx.fail(
                        Oracle::UnexpectedError,
                        format!("recommender write: {error}"),
                    );
                    return;
                }
                if db.acknowledged_seq() == before {
                    // Not applied: this step never reached the log, so no recovery may
                    // match it. Its slot stays (other processes' steps keep their
                    // indices) unless a recovery cut it and another push took its index
                    // since, which then is not ours to mark. The
                    // policy must not run ahead of its log: recover from the engine, as a
                    // restarted process would.
                    if still_ours(&ctx, step, push) {
                        ctx.twins.borrow_mut()[step].policy = None;
                    }
                    match recover(&ctx, &db).await {
                        Some(recovered) => {
                            check_recovered(&ctx, &db, &recovered);
                            policy = recovered;
                        }
                        None => return,
                    }
                }
            }
        }
    }
    if crash {
        db.crash();
    } else if db.close().await.is_ok() {
        // A clean close makes this process's own steps durable, not the steps another
        // process logged since (a recommender whose open hung until after its successor
        // took over closes cleanly having logged nothing).
        if let Some((step, _)) = last_own_step.filter(|&(step, push)| still_ours(&ctx, step, push))
        {
            ctx.twin_durable_step
                .set(ctx.twin_durable_step.get().max(step));
        }
    }
}
