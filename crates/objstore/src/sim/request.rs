//! The request path of the simulated store: how a request is planned when it is sent
//! (latency, faults, throttling, cost, and so its disposition), the task that applies it at
//! its apply time and answers it at its answer time, and how the answer and the trace record
//! are made from what happened.
//!
//! A request is in flight from `submit` to `finish`, which meters it; one refused before it
//! was sent (bad input) is metered at once by `reject`. So every request sent is metered or
//! in flight, which `State::check` asserts.

use super::cost::{key_prefix, request_cost_picousd};
use super::faults::FaultPlan;
use super::state::State;
use super::{Inner, SimStore};
use crate::port::{GetResult, ListPage, ObjectMeta, PutResult, StoreError, StoreFuture};
use std::rc::Rc;
use strata_sim::sync::{oneshot, OneshotReceiver};
use strata_sim::{
    Cause, EventKind, FaultKind, RequestOutcome, RequestRecord, SimDuration, SimTime, StoreOp,
};

/// Why the store refused a request without processing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Outage,
    Throttled,
    ServerError,
}

/// How a request will end, decided when it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Disposition {
    /// Answered 5xx without being processed: not applied, not billed.
    Refused(Refusal),
    /// No answer before the deadline; `applied` says whether the store processed it.
    TimedOut { applied: bool },
    /// Processed and answered; with `lost_ack` the answer never reaches the caller.
    Processed { lost_ack: bool },
}

/// Everything about an in-flight request that its task needs to finish it.
struct Sent {
    op: StoreOp,
    cause: Cause,
    /// The key, shared with the caller's answer should the request be dropped unanswered.
    key: Rc<str>,
    /// How long the key's metered prefix is (`key_prefix`): the prefix is the key's start.
    prefix_len: usize,
    start: SimTime,
    answer_at: SimTime,
    apply_at: Option<SimTime>,
    bytes_sent: u64,
    cost_picousd: u64,
    disposition: Disposition,
    bit_flip: bool,
}

fn outcome_of(error: &StoreError) -> RequestOutcome {
    match error {
        StoreError::NotFound { .. } => RequestOutcome::NotFound,
        StoreError::AlreadyExists { .. } => RequestOutcome::AlreadyExists,
        StoreError::PreconditionFailed { .. } => RequestOutcome::PreconditionFailed,
        StoreError::Throttled { .. } => RequestOutcome::Throttled,
        StoreError::Timeout { .. } => RequestOutcome::Timeout,
        StoreError::Unavailable { .. } => RequestOutcome::Unavailable,
        StoreError::InvalidRequest(_) => RequestOutcome::Invalid,
    }
}

impl Sent {
    fn prefix(&self) -> &str {
        &self.key[..self.prefix_len]
    }
}

fn is_write(op: StoreOp) -> bool {
    matches!(op, StoreOp::Put | StoreOp::Delete)
}

impl SimStore {
    /// Records a request refused before it was sent (bad input): no latency, no cost.
    pub(super) fn reject<T: 'static>(
        &self,
        op: StoreOp,
        cause: Cause,
        key: &str,
        error: StoreError,
    ) -> StoreFuture<T> {
        self.record_rejected(op, cause, key);
        Box::pin(std::future::ready(Err(error)))
    }

    /// The record of [`SimStore::reject`], apart from its generic reply so that it is
    /// compiled once rather than once per result type (wasm bundle size).
    #[inline(never)]
    fn record_rejected(&self, op: StoreOp, cause: Cause, key: &str) {
        let now = self.inner.handle.now();
        {
            let mut state = self.inner.state.borrow_mut();
            state.requests += 1;
            let prefix = key_prefix(key, state.config.prefix_segments).to_string();
            state
                .aggregates
                .record_request(op, cause, &prefix, RequestOutcome::Invalid, 0, 0, 0);
        }
        self.inner.handle.record(EventKind::Request(RequestRecord {
            op,
            cause,
            key: key.to_string(),
            bytes: 0,
            start: now,
            end: now,
            outcome: RequestOutcome::Invalid,
            cost_picousd: 0,
            applied_despite_error: false,
        }));
    }

    /// Sends a request: plans its latency, faults and throttling now, and spawns the task
    /// that applies and answers it. `apply` runs at the apply time against the store's state
    /// and returns the result with the payload bytes it moved to the caller.
    ///
    /// Only this thin wrapper is generic: the request path itself (`submit_reply`) works on
    /// [`Reply`], so it is compiled once rather than once per operation (wasm bundle size).
    pub(super) fn submit<T, F>(
        &self,
        op: StoreOp,
        cause: Cause,
        key: &str,
        bytes_sent: u64,
        bytes_for_latency: u64,
        apply: F,
    ) -> StoreFuture<T>
    where
        T: IntoReply,
        F: FnOnce(&mut State, &str, SimTime) -> (Result<T, StoreError>, u64) + 'static,
    {
        let apply: ApplyFn = Box::new(move |state, key, now| {
            let (result, bytes) = apply(state, key, now);
            (result.map(IntoReply::into_reply), bytes)
        });
        let (receiver, key) =
            self.submit_reply(op, cause, key, bytes_sent, bytes_for_latency, apply);
        // One future, the caller's, awaits the answer and types it.
        Box::pin(async move {
            match receiver.await {
                Some(answer) => answer.map(|reply| {
                    T::from_reply(reply)
                        .expect("a request is answered with what its own apply returned")
                }),
                None => Err(dropped(&key)),
            }
        })
    }

    /// The request path of [`SimStore::submit`], on type-erased results: the answer's
    /// receiver, and the key for the error of a request the simulation drops unanswered.
    fn submit_reply(
        &self,
        op: StoreOp,
        cause: Cause,
        key: &str,
        bytes_sent: u64,
        bytes_for_latency: u64,
        apply: ApplyFn,
    ) -> (OneshotReceiver<Result<Reply, StoreError>>, Rc<str>) {
        let handle = &self.inner.handle;
        let start = handle.now();
        let (sent, injected) = {
            let mut guard = self.inner.state.borrow_mut();
            let state = &mut *guard;
            let plan = if state.faults.is_empty() {
                FaultPlan::none()
            } else {
                state.faults.plan(op, key, start, &mut state.fault_rng)
            };
            let mut latency = state
                .model
                .sample(op, bytes_for_latency, &mut state.latency_rng);
            if plan.slow_multiplier > 1.0 {
                latency =
                    SimDuration::from_millis_f64(latency.as_millis_f64() * plan.slow_multiplier);
            }
            let prefix = key_prefix(key, state.config.prefix_segments);
            let disposition = if plan.outage {
                Disposition::Refused(Refusal::Outage)
            } else if plan.throttle
                || !state
                    .throttle
                    .admit(&state.config.throttle, prefix, op, start)
            {
                Disposition::Refused(Refusal::Throttled)
            } else if plan.server_error {
                Disposition::Refused(Refusal::ServerError)
            } else if let Some(applied) = plan.timeout {
                Disposition::TimedOut { applied }
            } else if latency > state.config.request_timeout {
                // Too slow for the client, but the store finishes it anyway.
                Disposition::TimedOut { applied: true }
            } else {
                Disposition::Processed {
                    lost_ack: plan.lost_ack,
                }
            };
            let done_at = start + latency;
            let answer_at = match disposition {
                Disposition::TimedOut { .. } => start + state.config.request_timeout,
                _ => done_at,
            };
            let apply_at = match disposition {
                Disposition::Refused(_) | Disposition::TimedOut { applied: false } => None,
                _ => Some(done_at),
            };
            let cost_picousd = if apply_at.is_some() {
                request_cost_picousd(&state.config.pricing, op, bytes_for_latency)
            } else {
                0
            };
            state.request_sent();
            // Bit flips are recorded when they happen, after the PUT lands.
            // A loop, not `copied`, `filter` and `collect`, whose instance the page had for
            // this list alone; with no faults planned, neither allocates.
            let mut injected: Vec<FaultKind> = Vec::new();
            for kind in &plan.injected {
                if *kind != FaultKind::BitFlip {
                    injected.push(*kind);
                }
            }
            for kind in &injected {
                state.aggregates.record_fault(*kind);
            }
            let sent = Sent {
                op,
                cause,
                key: Rc::from(key),
                prefix_len: prefix.len(),
                start,
                answer_at,
                apply_at,
                bytes_sent,
                cost_picousd,
                disposition,
                bit_flip: plan.bit_flip,
            };
            (sent, injected)
        };
        for fault in injected {
            handle.record(EventKind::FaultInjected {
                fault,
                key: String::from(&*sent.key),
            });
        }
        let (sender, receiver) = oneshot();
        let key = Rc::clone(&sent.key);
        let inner = self.inner.clone();
        // Detached: the request completes even if the caller drops its future (and nothing
        // joins it, so it is spawned without join state). Made in its box (allocated
        // first), so that it is not built on the stack and copied.
        let request = Box::write(Box::new_uninit(), async move {
            let handle = inner.handle.clone();
            let mut applied: Option<(Result<Reply, StoreError>, u64)> = None;
            let mut apply = Some(apply);
            if let Some(apply_at) = sent.apply_at.filter(|at| *at <= sent.answer_at) {
                handle.sleep_until(apply_at).await;
                if let Some(apply) = apply.take() {
                    applied = Some(inner.apply(&sent, apply));
                }
            }
            handle.sleep_until(sent.answer_at).await;
            let answer = inner.finish(&sent, applied);
            sender.send(answer);
            // A write the client gave up on that still lands, after the answer.
            if let (Some(apply_at), Some(apply)) = (sent.apply_at, apply) {
                handle.sleep_until(apply_at).await;
                let _late = inner.apply(&sent, apply);
            }
        });
        let _detached = handle.spawn_detached_boxed(Box::into_pin(request));
        (receiver, key)
    }
}

/// The answer to a request the simulation dropped before answering it.
fn dropped(key: &str) -> StoreError {
    StoreError::Unavailable {
        key: key.to_string(),
        reason: "the simulation dropped the request".to_string(),
    }
}

/// A request's result with its type erased, so that the request path is compiled once.
pub(super) enum Reply {
    Unit,
    Put(PutResult),
    Get(GetResult),
    Meta(ObjectMeta),
    List(ListPage),
}

/// A request's application to the store's state, given the request's key: the result and the
/// payload bytes it moved.
pub(super) type ApplyFn =
    Box<dyn FnOnce(&mut State, &str, SimTime) -> (Result<Reply, StoreError>, u64)>;

/// The result types of the store's operations, to and from [`Reply`].
pub(super) trait IntoReply: Sized + 'static {
    fn into_reply(self) -> Reply;
    /// `None` when `reply` holds another operation's result (a bug, never bad input).
    fn from_reply(reply: Reply) -> Option<Self>;
}

impl IntoReply for () {
    fn into_reply(self) -> Reply {
        Reply::Unit
    }
    fn from_reply(reply: Reply) -> Option<Self> {
        matches!(reply, Reply::Unit).then_some(())
    }
}

/// `IntoReply` for a result type carried by one `Reply` variant.
macro_rules! into_reply {
    ($($ty:ty => $variant:ident),* $(,)?) => {
        $(
            impl IntoReply for $ty {
                fn into_reply(self) -> Reply {
                    Reply::$variant(self)
                }
                fn from_reply(reply: Reply) -> Option<Self> {
                    match reply {
                        Reply::$variant(result) => Some(result),
                        _ => None,
                    }
                }
            }
        )*
    };
}

into_reply!(PutResult => Put, GetResult => Get, ObjectMeta => Meta, ListPage => List);

impl Inner {
    /// Applies a request to the state at its apply time.
    fn apply(&self, sent: &Sent, apply: ApplyFn) -> (Result<Reply, StoreError>, u64) {
        let now = self.handle.now();
        let (result, bytes, flipped) = {
            let mut state = self.state.borrow_mut();
            let (result, bytes) = apply(&mut state, &sent.key, now);
            let flipped = if sent.bit_flip && result.is_ok() && sent.op == StoreOp::Put {
                state.flip_bit_of(&sent.key, None).ok()
            } else {
                None
            };
            if flipped.is_some() {
                state.aggregates.record_fault(FaultKind::BitFlip);
            }
            (result, bytes, flipped)
        };
        if let Some(flip) = flipped {
            self.handle.record(EventKind::FaultInjected {
                fault: FaultKind::BitFlip,
                key: flip.key,
            });
        }
        (result, bytes)
    }

    /// Turns the applied result into the caller's answer, and records the request.
    fn finish(
        &self,
        sent: &Sent,
        applied: Option<(Result<Reply, StoreError>, u64)>,
    ) -> Result<Reply, StoreError> {
        let key = || String::from(&*sent.key);
        let (answer, bytes_received, applied_despite_error) = match (sent.disposition, applied) {
            (Disposition::Refused(Refusal::Outage), _) => (
                Err(StoreError::Unavailable {
                    key: key(),
                    reason: "outage: the store is not answering".to_string(),
                }),
                0,
                false,
            ),
            (Disposition::Refused(Refusal::Throttled), _) => {
                (Err(StoreError::Throttled { key: key() }), 0, false)
            }
            (Disposition::Refused(Refusal::ServerError), _) => (
                Err(StoreError::Unavailable {
                    key: key(),
                    reason: "500 InternalError".to_string(),
                }),
                0,
                false,
            ),
            (Disposition::TimedOut { applied }, result) => {
                // A late write has not been applied yet; it will be, so it counts as applied
                // (a conditional write could still fail its check then: the trace says the
                // store processed it, not that it changed anything).
                let landed = match &result {
                    Some((result, _)) => result.is_ok(),
                    None => applied,
                };
                (
                    Err(StoreError::Timeout { key: key() }),
                    0,
                    landed && is_write(sent.op),
                )
            }
            (Disposition::Processed { lost_ack: true }, result) => {
                let landed = matches!(&result, Some((Ok(_), _)));
                (
                    Err(StoreError::Unavailable {
                        key: key(),
                        reason: "the answer was lost after the request was applied".to_string(),
                    }),
                    0,
                    landed && is_write(sent.op),
                )
            }
            (Disposition::Processed { lost_ack: false }, Some((result, bytes))) => {
                (result, bytes, false)
            }
            (Disposition::Processed { lost_ack: false }, None) => (
                // Unreachable by construction (a processed request is applied before it is
                // answered), but answered honestly rather than with a panic.
                Err(StoreError::Unavailable {
                    key: key(),
                    reason: "internal: request answered before it was applied".to_string(),
                }),
                0,
                false,
            ),
        };
        let outcome = match (&answer, sent.disposition) {
            (Err(_), Disposition::Refused(Refusal::ServerError)) => RequestOutcome::ServerError,
            (Err(error), _) => outcome_of(error),
            (Ok(_), _) => RequestOutcome::Ok,
        };
        let bytes = if sent.op == StoreOp::Put {
            sent.bytes_sent
        } else {
            bytes_received
        };
        let latency_nanos = sent.answer_at.saturating_since(sent.start).as_nanos();
        {
            let mut state = self.state.borrow_mut();
            state.request_answered();
            state.aggregates.record_request(
                sent.op,
                sent.cause,
                sent.prefix(),
                outcome,
                bytes,
                sent.cost_picousd,
                latency_nanos,
            );
            if applied_despite_error {
                state.aggregates.requests_applied_despite_error += 1;
            }
            let window = state.config.cost_window;
            state.ledger.charge(
                sent.answer_at,
                sent.cause,
                sent.prefix(),
                sent.cost_picousd,
                window,
            );
        }
        self.handle.record(EventKind::Request(RequestRecord {
            op: sent.op,
            key: String::from(&*sent.key),
            bytes,
            cause: sent.cause,
            start: sent.start,
            end: sent.answer_at,
            outcome,
            cost_picousd: sent.cost_picousd,
            applied_despite_error,
        }));
        answer
    }
}
